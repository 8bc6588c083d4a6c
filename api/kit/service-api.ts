import { openapi } from '@elysiajs/openapi'
import { eq } from 'drizzle-orm'
import type { Static } from '@sinclair/typebox'
import { Elysia, status, t, type ElysiaCustomStatusResponse } from 'elysia'
import { createHash } from 'node:crypto'
import { canonicalJson, depthProblem, describe, DomainError, MedTrackError, newId, publicReadiness, registerFormats, requestIdFrom, uuidV5, type CommandDispatcher, type Database, type Logger } from '../../core/index.ts'
import type { CommandPayload, CommandSuccess, CommandType } from '../../schemas/commands/index.ts'
import type { RuntimeTables } from '../../schemas/db/runtime.ts'
import { tokenRefusal, type AccountLookup } from './accounts.ts'
import type { ApiConfig } from './config.ts'
import { DEFAULT_BODY_LIMIT, readBody } from './body.ts'
import { answerFor, declaresTooLarge, ErrorAnswer, errorBody, isJsonType, MAX_BODY_BYTES, noRoute, nulProblems, payloadTooLarge, unsupportedMediaType, validationProblems } from './errors.ts'
import { bearerToken, verifyToken, type Claims, type Role } from './jwt.ts'
import { ACCESS_TOKEN_QUERY, BEARER, declaredResponses, documentedRoutes, Health, HEALTH, Operation, OPERATIONS, Pending, Readiness, type Answers, type Feature } from './openapi.ts'

export interface ServiceApiOptions<S extends string = string> {
  service: S
  config: ApiConfig
  /** The key access tokens are signed with: JWT_SECRET, or the platform's own. */
  jwtSecret: string
  dispatcher: CommandDispatcher
  db: Database
  tables: RuntimeTables
  /** What the API knows of the account a token names, to refuse a token that is no longer the account's. */
  accounts: AccountLookup
  log: Logger
  /** Whether the broker is reachable, for /health. */
  brokerReady(): boolean
}

/** The caller, from a valid bearer token. */
export interface Caller {
  user_id: string
  role: Role
  email?: string
  /** The token version the token was issued with. */
  ver: number
  /** The session the token was issued for, when it names one. */
  sid?: string
}

/**
 * What a route answers a command of type C with, as its type says: the
 * worker's answer (the catalogue's status and body), or 202 with the operation
 * while the worker has not answered. A refusal comes with its own status and
 * the error body, which every route may answer with.
 */
export type Sent<C extends CommandType> = C extends CommandType
  ? ElysiaCustomStatusResponse<CommandSuccess<C>['status'], CommandSuccess<C>['body']> | ElysiaCustomStatusResponse<202, Static<typeof Pending>>
  : never

/** Sends a command to the service's worker; its outcome (status, body, and the operation's location while it runs) is the route's to answer with. */
export type DispatchCommand = <C extends CommandType>(type: C, payload: CommandPayload<C>, sent?: { bodyHash: string }) => Promise<{ status: number; location?: string; body: unknown }>
/** Sends a command and answers with its result, or 202 while it runs. */
export type SendCommand = <C extends CommandType>(type: C, payload: CommandPayload<C>, sent?: { bodyHash: string }) => Promise<Sent<C>>

/** What a command's id is derived from besides the key: the method and the path it was sent to. */
const routeOf = (request: Request) => `${request.method} ${new URL(request.url).pathname}`

const callerOf = (c: Claims): Caller => ({ user_id: c.sub, role: c.role, ver: c.ver ?? 0, ...(c.email ? { email: c.email } : {}), ...(typeof c.sid === 'string' ? { sid: c.sid } : {}) })

/** The same key from one caller on one route with one body is one command, so a retried request takes effect once. */
interface Idempotency {
  key: string
  /**
   * SHA-256 of the body's JSON with its keys in one order: another body under the same key (another
   * anonymous caller, say) is another command; the same body rebuilt in another key order is not.
   */
  bodyHash: string
}


/** What a route's macros say of its body, found on the route's own hooks (see `routePolicies`). */
const ROLES = Symbol('roles')
const BODY_LIMIT = Symbol('bodyLimit')
const STREAMED = Symbol('streamed')
const QUERY_TOKEN = Symbol('tokenInQuery')

/** A hook function marked with what a macro was given. */
const marked = <F extends (...args: never[]) => unknown>(fn: F, mark: symbol, value: unknown): F => Object.assign(fn, { [mark]: value })

/** Who may send a route a body and how large: its `auth` roles (none: anyone) and its `bodyLimit`, or whether it reads its body itself (`streamed`). */
interface RoutePolicy {
  roles?: true | Role[]
  maxBytes: number
  streamed?: boolean
  /** Whether the token may come as `?access_token=` when no Authorization header does (`tokenInQuery`). */
  queryToken?: boolean
}

/**
 * Each route's policy, read from the app's routes when first asked (once every
 * feature has added its own): the `auth` and `bodyLimit` macros mark the hooks
 * they add. A route not found has the default: no token needed, DEFAULT_BODY_LIMIT.
 */
function routePolicies(routes: () => { method: string; path: string; hooks?: Record<string, unknown> }[]): (method: string, path: string) => RoutePolicy {
  let policies: Map<string, RoutePolicy> | undefined
  const fnsOf = (hook: unknown): Record<symbol, unknown>[] =>
    (Array.isArray(hook) ? hook : hook === undefined ? [] : [hook]).map((h) => (typeof h === 'function' ? h : (h as { fn?: unknown })?.fn) as Record<symbol, unknown>).filter(Boolean)
  return (method, path) => {
    policies ??= new Map(
      routes().map((r) => {
        const marks = fnsOf(r.hooks?.transform)
        const roles = marks.find((f) => f[ROLES] !== undefined)?.[ROLES] as RoutePolicy['roles']
        const maxBytes = (marks.find((f) => f[BODY_LIMIT] !== undefined)?.[BODY_LIMIT] as number | undefined) ?? DEFAULT_BODY_LIMIT
        const streamed = marks.some((f) => f[STREAMED] === true)
        const queryToken = marks.some((f) => f[QUERY_TOKEN] === true)
        return [`${r.method} ${r.path}`, { roles, maxBytes, streamed, queryToken }]
      }),
    )
    return policies.get(`${method} ${path}`) ?? { maxBytes: DEFAULT_BODY_LIMIT }
  }
}

/** The caller of a request, authenticated once: by the body's parser for a route that needs one, else when derived. */
type Authentication = { caller?: Caller; refused?: string }

/** 401 without a caller (saying why a valid token was refused), 403 without one of the roles. */
function authorise(who: Authentication, roles: true | Role[]): void {
  if (!who.caller) throw new DomainError(401, 'UNAUTHENTICATED', who.refused ?? 'a valid bearer token is required')
  if (roles !== true && !roles.includes(who.caller.role)) throw new DomainError(403, 'FORBIDDEN', `this needs the role ${roles.join(' or ')}`)
}

/**
 * The Elysia app of one service under `/S/api`: request ids, JWT roles,
 * JSON errors (422 with field paths, also for text holding a NUL character or
 * a body nesting too deeply; 400 for malformed JSON, 404 for unknown routes,
 * 413 for a body over what its route takes (64 KiB unless it says more with
 * `bodyLimit`; 10 MiB at most), 415 for a body that is not JSON (a `streamed`
 * route reads and checks its own body, an upload say),
 * 503 with Retry-After when the broker or the database is away), command
 * dispatch with idempotency keys, `/operations/:id`, `/health`, `/ready` (the database and the broker reachable) and OpenAPI at `/docs`.
 * A route that needs a token (`auth`) checks it before its body is read: an
 * anonymous caller's body is never parsed, walked or hashed.
 */
export function createServiceApi<const S extends string>(o: ServiceApiOptions<S>) {
  const prefix = `/${o.service}/api` as const
  // The OpenAPI plugin replaced the string formats with its own when it was loaded.
  registerFormats()

  async function dispatchCommand(c: { type: CommandType; payload: Record<string, unknown>; caller?: Caller; requestId: string; idempotency?: Idempotency; route: string; waitMs?: number }) {
    const actor = { user_id: c.caller?.user_id ?? null, role: c.caller?.role ?? 'anonymous' }
    const commandId = c.idempotency ? uuidV5(JSON.stringify([o.service, actor.user_id, c.route, c.idempotency.key, c.idempotency.bodyHash])) : newId()
    const outcome = await o.dispatcher.dispatch({ command_id: commandId, command_type: c.type, correlation_id: c.requestId, actor, payload: c.payload }, { waitMs: c.waitMs })
    if (outcome.kind === 'accepted') {
      return { status: 202, location: `${prefix}/operations/${commandId}`, body: { operation_id: commandId, status: 'pending' } }
    }
    return { status: outcome.reply.status, location: undefined, body: outcome.reply.body }
  }

  /**
   * The caller a bearer token names: when its signature is valid, it has not expired and it is still
   * its account's (`refused` says why not). The account lookup failing is the request's failure (503).
   */
  async function authenticate(authorization: string | null | undefined): Promise<Authentication> {
    const token = bearerToken(authorization)
    const claims = token ? await verifyToken(o.jwtSecret, token) : undefined
    if (!claims) return {}
    const refused = tokenRefusal(claims, await o.accounts(claims.sub))
    return refused ? { refused } : { caller: callerOf(claims) }
  }
  /** Requests already authenticated (by the body's parser), so the token and its account are looked at once. */
  const authenticated = new WeakMap<Request, Authentication>()
  /** The Authorization header, or on a route that takes it (`tokenInQuery`), the token of `?access_token=` as one. */
  const authorizationOf = (request: Request, route: string, query: Record<string, unknown>) => {
    const header = request.headers.get('authorization')
    if (header !== null || typeof query.access_token !== 'string' || !policyOf(request.method, route).queryToken) return header
    return `Bearer ${query.access_token}`
  }
  const authenticationOf = async (request: Request, route: string, query: Record<string, unknown>) =>
    authenticated.get(request) ?? (await authenticate(authorizationOf(request, route, query)))

  const allowed = routeMethods(() => app.routes)
  const policyOf = routePolicies(() => app.routes as never)
  // The features' tags, as their routes name them (`answers`), and each route's errors and security, once every feature has added its routes.
  const tags: Feature[] = []
  const docsPath = `${prefix}/docs/json`
  const documentRoutes = documentedRoutes(
    () => app.routes as never,
    (route) => {
      const policy = policyOf(route.method, route.path)
      const body = policy.streamed ? 'streamed' : route.hooks.body !== undefined ? 'json' : 'none'
      return { roles: policy.roles, queryToken: policy.queryToken, params: route.hooks.params !== undefined, query: route.hooks.query !== undefined, body }
    },
  )

  const app = new Elysia({ prefix })
    .use(
      openapi({
        path: '/docs',
        documentation: {
          info: { title: `MedTrack ${o.service} API`, version: '1.0.0' },
          tags,
          components: { schemas: { Error: ErrorAnswer as never }, securitySchemes: { bearer: BEARER, access_token: ACCESS_TOKEN_QUERY } },
        },
      }),
    )
    .onRequest(({ request, set }) => {
      set.headers['x-request-id'] = requestIdFrom(request.headers.get('x-request-id'))
      if (new URL(request.url).pathname === docsPath) documentRoutes()
      // A streamed route (an upload) has limits of its own, which it checks itself.
      if (declaresTooLarge(request) && !policyOf(request.method, new URL(request.url).pathname).streamed) throw payloadTooLarge()
    })
    // Every body is JSON, read here once its route's caller is known to be allowed: at most what the
    // route takes (refused from its declared length, or as soon as it passes it); then how deep it
    // nests, before anything walks it. A streamed route's body is left unread, for the route to read.
    .onParse({ as: 'global' }, async ({ request, contentType, route }) => {
      const policy = policyOf(request.method, route)
      if (!policy.streamed && (request.body === null || request.headers.get('content-length') === '0')) return
      if (policy.roles) {
        const who = await authenticate(request.headers.get('authorization'))
        authenticated.set(request, who)
        authorise(who, policy.roles)
      }
      if (policy.streamed) return {}
      if (!isJsonType(contentType ?? '')) throw unsupportedMediaType(contentType ?? '')
      const bytes = await readBody(request, policy.maxBytes)
      const body: unknown = JSON.parse(new TextDecoder().decode(bytes))
      const deep = depthProblem(body)
      if (deep) throw new DomainError(422, 'VALIDATION_FAILED', 'the body nests too deeply', [deep])
      return body
    })
    .onError({ as: 'global' }, ({ code, error, set, request }) => {
      if (!set.headers['x-request-id']) set.headers['x-request-id'] = requestIdFrom(request.headers.get('x-request-id'))
      const answer = (err: unknown) => {
        const a = answerFor(err)
        set.status = a.status
        if (a.retryAfter) set.headers['retry-after'] = String(a.retryAfter)
        if (a.status >= 500) o.log.error('request failed', { path: new URL(request.url).pathname, error: describe(err) })
        return a.body
      }
      // MedTrack errors first: Elysia names an error by its `code`, so a DomainError NOT_FOUND would pass for an unknown route.
      const thrown = code === 'PARSE' && error.cause instanceof MedTrackError ? error.cause : error
      if (thrown instanceof MedTrackError) return answer(thrown)
      switch (code) {
        case 'VALIDATION':
          set.status = 422
          return errorBody('VALIDATION_FAILED', `invalid ${error.type}`, validationProblems(error.type, error.all as never))
        case 'PARSE':
          set.status = 400
          return errorBody('MALFORMED_JSON', 'the request body is not valid JSON')
        case 'NOT_FOUND':
          return noRoute(request, allowed, set)
      }
      return answer(error)
    })
    // An email pasted with a space around it is the email: trimmed before it is validated (login trims it too).
    .onTransform({ as: 'global' }, ({ body }) => {
      const fields = body as Record<string, unknown> | null | undefined
      if (fields && typeof fields === 'object' && typeof fields.email === 'string') fields.email = fields.email.trim()
    })
    .derive({ as: 'global' }, async ({ request, set, body, query, params, route }) => {
      const { caller, refused } = await authenticationOf(request, route, query as Record<string, unknown>)
      const requestId = String(set.headers['x-request-id'])
      const key = request.headers.get('idempotency-key')
      // Taken now, before validation trims the body.
      const idempotency = key ? { key, bodyHash: createHash('sha256').update(canonicalJson(body ?? null)).digest('hex') } : undefined
      // PostgreSQL cannot store a NUL character: refused (after the token checks) before any route runs.
      const nul = [...nulProblems('body', body), ...nulProblems('query', query), ...nulProblems('params', params)]
      /**
       * Sends a command to the service's worker; its outcome (status, body, and the operation's
       * location while it runs) is the route's to answer with as it sees fit.
       * A `streamed` route, whose body the kit never read, names what its body held with `bodyHash`.
       */
      const command: DispatchCommand = (type, payload, sent) => {
        const keyed = idempotency && sent ? { key: idempotency.key, bodyHash: sent.bodyHash } : idempotency
        return dispatchCommand({ type, payload: payload as Record<string, unknown>, caller, requestId, idempotency: keyed, route: routeOf(request) })
      }
      /**
       * Sends a command without waiting for the worker: the 202 of its operation once the broker took
       * it (503 when it surely did not), so that the answer's time says nothing of what the worker does.
       */
      const enqueue = <C extends CommandType>(type: C, payload: CommandPayload<C>) =>
        dispatchCommand({ type, payload: payload as Record<string, unknown>, caller, requestId, idempotency, route: routeOf(request), waitMs: 0 })
      /** Sends a command (as `command`) and answers with its result, or 202 while it runs. */
      const send: SendCommand = async <C extends CommandType>(type: C, payload: CommandPayload<C>, sent?: { bodyHash: string }) => {
        const answer = await command(type, payload, sent)
        if (answer.location) set.headers.location = answer.location
        return status(answer.status, answer.body) as Sent<C>
      }
      return { caller, refused, requestId, send, command, enqueue, nul }
    })
    .onBeforeHandle({ as: 'global' }, ({ nul }) => {
      if (nul.length > 0) throw new DomainError(422, 'VALIDATION_FAILED', 'text must not contain the NUL character', nul)
    })
    .macro({
      /** Requires a valid token (401) and, with roles, one of them (403), before the body is even read. */
      auth: (roles: true | Role[]) => ({
        transform: marked(({ caller, refused }: Authentication) => authorise({ caller, refused }, roles), ROLES, roles),
        resolve: ({ caller }) => ({ user: caller! }),
      }),
      /** The most a route's JSON body may hold, in bytes, when it takes more than DEFAULT_BODY_LIMIT (up to MAX_BODY_BYTES). */
      bodyLimit: (bytes: number) => ({ transform: marked(() => {}, BODY_LIMIT, Math.min(bytes, MAX_BODY_BYTES)) }),
      /**
       * The route reads its body itself, as a stream (`request.body`), and checks its size and type:
       * the kit neither parses it nor refuses it for its declared length (its caller is still checked first).
       */
      streamed: (on: boolean) => ({ transform: marked(() => {}, STREAMED, on) }),
      /**
       * The token may also come as `?access_token=` (a browser's EventSource sets no header), checked
       * like the header's; for GET routes only, whose URLs are never logged with their query.
       */
      tokenInQuery: (on: boolean) => ({ transform: marked(() => {}, QUERY_TOKEN, on) }),
      /**
       * What the route answers when it succeeds, under its feature's tag, and the refusals it adds to
       * those derived from its `auth`, `params`, `query` and body: for the OpenAPI document only.
       */
      answers: (a: Answers) => {
        if (!tags.some((known) => known.name === a.feature.name)) tags.push({ name: a.feature.name, description: a.feature.description })
        return { detail: { tags: [a.feature.name], responses: declaredResponses(a) } }
      },
    })
    .get('/health', () => ({ status: 'ok', service: `${o.service}-api`, broker: o.brokerReady() ? 'connected' : 'unreachable' }), {
      answers: HEALTH.read(Health),
      detail: { summary: 'The process runs: its broker connection' },
    })
    // The process runs (/health); it can also do its work (/ready): what an orchestrator routes traffic by.
    .get(
      '/ready',
      async ({ set }) => {
        const answer = await publicReadiness(`${o.service}-api`, o.db, o.brokerReady, o.log)
        set.status = answer.status
        return answer.body
      },
      { answers: HEALTH.answers({ 200: Readiness, 503: Readiness }), detail: { summary: 'The process can do its work: its database and broker reachable' } },
    )
    .get(
      '/operations/:id',
      async ({ params, set, caller }) => {
        // Operation ids are the lower-case uuids this API handed out; one read back in upper case is the same.
        const [row] = await o.db.select().from(o.tables.commandResults).where(eq(o.tables.commandResults.commandId, params.id.toLowerCase()))
        // Anyone may read an anonymous command's outcome (a registration, say); someone's needs their token.
        // (Operation ids are random, or derived from the caller, the key and the very body: not guessed.)
        if (row && row.actorId !== null && !caller) throw new DomainError(401, 'UNAUTHENTICATED', 'a valid bearer token is required to read this operation')
        // To another signed-in caller, someone's operation looks exactly like one that does not exist yet.
        const visible = row && (row.actorId === null || row.actorId === caller?.user_id || caller?.role === 'admin')
        if (!visible) {
          set.status = 202
          set.headers['retry-after'] = '1'
          return { operation_id: params.id.toLowerCase(), status: 'pending' }
        }
        return {
          operation_id: row.commandId,
          command_type: row.commandType,
          status: row.outcome,
          http_status: row.httpStatus,
          ...(row.outcome === 'succeeded' ? { result: row.body } : { error: row.body }),
        }
      },
      {
        params: t.Object({ id: t.String({ format: 'uuid' }) }),
        answers: OPERATIONS.answers(
          { 200: Operation, 202: Pending },
          { says: { 202: 'not answered yet, or someone else’s: ask again after Retry-After seconds' }, refuses: { 401: 'someone’s operation, asked without a valid token' }, never: [404] },
        ),
        detail: { summary: 'The outcome of a command answered with 202: pending (202, Retry-After) until its worker answered', security: [{}, { bearer: [] }] },
      },
    )
  return app
}

/**
 * The methods the app's routes take on a path, for a 405's Allow (HEAD with
 * GET): none when no route has that path. A path a route names exactly is that
 * route's alone: `/students/me` takes what its own routes take, not what
 * `/students/:id` does (they would refuse `me` as an id). The routes are read
 * when first asked, once every feature has added its own.
 */
export function routeMethods(routes: () => { method: string; path: string }[]): (path: string) => string[] {
  let compiled: { method: string; pattern: RegExp; exact: boolean }[] | undefined
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return (path) => {
    compiled ??= routes().map((r) => ({
      method: r.method,
      pattern: new RegExp(`^${r.path.split('/').map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : escape(seg))).join('/')}/?$`),
      exact: !/(^|\/)(:|\*)/.test(r.path),
    }))
    const matching = compiled.filter((r) => r.pattern.test(path))
    const exact = matching.filter((r) => r.exact)
    const methods = new Set((exact.length > 0 ? exact : matching).map((r) => r.method))
    if (methods.has('ALL')) return []
    if (methods.has('GET')) methods.add('HEAD')
    return [...methods].sort()
  }
}

/** The kit's app of the service S, its routes under `/S/api`, which each feature of the service adds its own to. */
export type ServiceApi<S extends string = string> = ReturnType<typeof createServiceApi<S>>
