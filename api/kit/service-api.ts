import { openapi } from '@elysiajs/openapi'
import { eq } from 'drizzle-orm'
import { Elysia, t } from 'elysia'
import { describe, DomainError, newId, uuidV5, type CommandDispatcher, type Database, type Logger } from '../../core/index.ts'
import type { CommandType } from '../../schemas/commands/index.ts'
import type { RuntimeTables } from '../../schemas/db/runtime.ts'
import type { ApiConfig } from './config.ts'
import { answerFor, errorBody, validationProblems } from './errors.ts'
import { verifyToken, type Claims, type Role } from './jwt.ts'

export interface ServiceApiOptions {
  service: string
  config: ApiConfig
  dispatcher: CommandDispatcher
  db: Database
  tables: RuntimeTables
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
}

const callerOf = (c: Claims): Caller => ({ user_id: c.sub, role: c.role, ver: c.ver ?? 0, ...(c.email ? { email: c.email } : {}) })

/**
 * The Elysia app of one service under `/S/api`: request ids, JWT roles,
 * JSON errors (422 with field paths, 400 for malformed JSON, 404 for unknown
 * routes, 503 with Retry-After when the broker is away), command dispatch
 * with idempotency keys, `/operations/:id`, `/health` and OpenAPI at `/docs`.
 */
export function createServiceApi(o: ServiceApiOptions) {
  const prefix = `/${o.service}/api`

  async function dispatchCommand(c: { type: CommandType; payload: Record<string, unknown>; caller?: Caller; requestId: string; idempotencyKey: string | null; route: string }) {
    const actor = { user_id: c.caller?.user_id ?? null, role: c.caller?.role ?? 'anonymous' }
    // The same key from the same caller on the same route is the same command, so it takes effect once.
    const commandId = c.idempotencyKey ? uuidV5(`${o.service}|${actor.user_id ?? '-'}|${c.route}|${c.idempotencyKey}`) : newId()
    const outcome = await o.dispatcher.dispatch({ command_id: commandId, command_type: c.type, correlation_id: c.requestId, actor, payload: c.payload })
    if (outcome.kind === 'accepted') {
      return { status: 202, location: `${prefix}/operations/${commandId}`, body: { operation_id: commandId, status: 'pending' } }
    }
    return { status: outcome.reply.status, location: undefined, body: outcome.reply.body }
  }

  return new Elysia({ prefix })
    .use(openapi({ path: '/docs', documentation: { info: { title: `MedTrack ${o.service} API`, version: '1.0.0' } } }))
    .onRequest(({ request, set }) => {
      set.headers['x-request-id'] = request.headers.get('x-request-id') || newId()
    })
    .onError({ as: 'global' }, ({ code, error, set, request }) => {
      if (!set.headers['x-request-id']) set.headers['x-request-id'] = request.headers.get('x-request-id') || newId()
      switch (code) {
        case 'VALIDATION':
          set.status = 422
          return errorBody('VALIDATION_FAILED', `invalid ${error.type}`, validationProblems(error.type, error.all as never))
        case 'PARSE':
          set.status = 400
          return errorBody('MALFORMED_JSON', 'the request body is not valid JSON')
        case 'NOT_FOUND':
          set.status = 404
          return errorBody('NOT_FOUND', `no route ${request.method} ${new URL(request.url).pathname}`)
      }
      const answer = answerFor(error)
      set.status = answer.status
      if (answer.retryAfter) set.headers['retry-after'] = String(answer.retryAfter)
      if (answer.status >= 500) o.log.error('request failed', { path: new URL(request.url).pathname, error: describe(error) })
      return answer.body
    })
    .derive({ as: 'global' }, async ({ headers, request, set }) => {
      const auth = headers.authorization
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined
      const claims = token ? await verifyToken(o.config.JWT_SECRET, token) : undefined
      const caller = claims ? callerOf(claims) : undefined
      const requestId = String(set.headers['x-request-id'])
      /** Sends a command to the service's worker and answers with its result, or 202 while it runs. */
      const send = async (type: CommandType, payload: Record<string, unknown>) => {
        const answer = await dispatchCommand({ type, payload, caller, requestId, idempotencyKey: request.headers.get('idempotency-key'), route: `${request.method} ${new URL(request.url).pathname}` })
        set.status = answer.status
        if (answer.location) set.headers.location = answer.location
        return answer.body
      }
      return { caller, requestId, send }
    })
    .macro({
      /** Requires a valid token (401) and, with roles, one of them (403), before the body is even validated. */
      auth: (roles: true | Role[]) => ({
        transform({ caller }) {
          if (!caller) throw new DomainError(401, 'UNAUTHENTICATED', 'a valid bearer token is required')
          if (roles !== true && !roles.includes(caller.role)) throw new DomainError(403, 'FORBIDDEN', `this needs the role ${roles.join(' or ')}`)
        },
        resolve: ({ caller }) => ({ user: caller! }),
      }),
    })
    .get('/health', () => ({ status: 'ok', service: `${o.service}-api`, broker: o.brokerReady() ? 'connected' : 'unreachable' }))
    .get(
      '/operations/:id',
      async ({ params, set, caller }) => {
        const [row] = await o.db.select().from(o.tables.commandResults).where(eq(o.tables.commandResults.commandId, params.id))
        // Someone else's operation looks exactly like one that does not exist yet.
        const visible = row && (row.actorId === null || row.actorId === caller?.user_id || caller?.role === 'admin')
        if (!visible) {
          set.status = 202
          set.headers['retry-after'] = '1'
          return { operation_id: params.id, status: 'pending' }
        }
        return {
          operation_id: row.commandId,
          command_type: row.commandType,
          status: row.outcome,
          http_status: row.httpStatus,
          ...(row.outcome === 'succeeded' ? { result: row.body } : { error: row.body }),
        }
      },
      { params: t.Object({ id: t.String({ minLength: 1 }) }) },
    )
}

export type ServiceApi = ReturnType<typeof createServiceApi>
