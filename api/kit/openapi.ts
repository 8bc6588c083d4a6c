import { Type, type TSchema } from '@sinclair/typebox'
import type { OpenAPIV3 } from 'openapi-types'
import { commands, type CommandType } from '../../schemas/commands/index.ts'
import type { Role } from './jwt.ts'

/*
 * What each route of a service documents beyond its parameters and body: what
 * it answers when it succeeds (declared by the route, with `answers`), the
 * errors it can answer (derived from its `auth`, `params`, `query` and body,
 * plus the refusals it declares), whether it needs a token, and its feature's tag.
 */

/** A feature of a service's API (offers, stages…): the tag its routes are grouped under. */
export interface Feature {
  name: string
  description: string
}

/** What a route answers with when it succeeds, by status; `refuses` are the errors it answers beyond those the kit derives. */
export interface Answers {
  feature: Feature
  /** The bodies by status: 2xx, and any other status whose body is not the error body (`/ready`'s 503). */
  ok: Partial<Record<number, TSchema>>
  /** The media type of its success bodies. @default ['application/json'] */
  media?: string[]
  /** Each further error status, with when it is answered. */
  refuses?: Partial<Record<ErrorStatus, string>>
  /** What a success status means, when more than the usual. */
  says?: Partial<Record<SuccessStatus, string>>
  /** Whether its 202 names the operation in Location (a command's). */
  located?: boolean
  /** Errors the kit would derive from its shape that this route never answers. */
  never?: ErrorStatus[]
}

type SuccessStatus = 200 | 201 | 202
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503

/** A command while the worker has not answered yet: 202 with its operation, polled at Location (`GET /operations/:id`). */
export const Pending = Type.Object({
  operation_id: Type.String({ format: 'uuid' }),
  status: Type.Literal('pending'),
})

/** One page of a list: `?page=1&per_page=20`. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    page: Type.Integer({ minimum: 1 }),
    per_page: Type.Integer({ minimum: 1, maximum: 100 }),
    total: Type.Integer({ minimum: 0, description: 'items of every page' }),
  })

/** A feature's tag, and how its routes say what they answer: a read's 200, a command's answer (the catalogue's) or its 202. */
export function feature(name: string, description: string) {
  const tag: Feature = { name, description }
  return {
    ...tag,
    /** A read: 200 with `schema`. */
    read: (schema: TSchema, refuses?: Answers['refuses']): Answers => ({ feature: tag, ok: { 200: schema }, refuses }),
    /** A command: what its worker answers (the catalogue's `result`), or 202 with its operation while the worker has not answered. */
    command: (type: CommandType, refuses?: Answers['refuses']): Answers => {
      const { status, body } = commands[type].result
      return { feature: tag, ok: { [status]: body, 202: Pending }, refuses: { 500: ERRORS[500], ...refuses }, located: true }
    },
    /** Any other answer: `ok` by status. */
    answers: (ok: Answers['ok'], more: Omit<Answers, 'feature' | 'ok'> = {}): Answers => ({ feature: tag, ok, ...more }),
  }
}

/** Where the error answers' body is: one shared schema (errors.ts's `ErrorAnswer`). */
export const ERROR_REF = '#/components/schemas/Error'

const SUCCESS: Record<SuccessStatus, string> = {
  200: 'done',
  201: 'created',
  202: 'the command is taken, its worker has not answered yet: its outcome is at Location (GET /operations/{id}, with the same token)',
}

const ERRORS: Record<ErrorStatus, string> = {
  400: 'the body is not valid JSON',
  401: 'no valid bearer token (none, expired, or no longer the account’s)',
  403: 'the caller’s role may not do this',
  404: 'not found, or not the caller’s to know of',
  409: 'a conflict with what is stored, named by `error`',
  413: 'the body is larger than the route takes',
  415: 'the body is not sent as application/json',
  422: 'a field is invalid, named by `problems[].path`',
  429: 'too many attempts: wait Retry-After seconds',
  500: 'COMMAND_FAILED: the worker could not apply the command and set it aside; once an operator replays it, its operation holds the real outcome',
  503: 'the database or the broker is away: try again after Retry-After seconds',
}

const retryAfter: OpenAPIV3.HeaderObject = { description: 'seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } }

/** The OpenAPI answers of a route's `answers`: its success bodies and the refusals it declares. */
export function declaredResponses(a: Answers): OpenAPIV3.ResponsesObject {
  const responses: OpenAPIV3.ResponsesObject = {}
  for (const [status, schema] of Object.entries(a.ok) as [string, TSchema][]) {
    const code = Number(status)
    const media = code === 202 ? ['application/json'] : (a.media ?? ['application/json'])
    responses[status] = {
      description: a.says?.[code as SuccessStatus] ?? SUCCESS[code as SuccessStatus] ?? ERRORS[code as ErrorStatus],
      content: Object.fromEntries(media.map((m) => [m, { schema: schema as OpenAPIV3.SchemaObject }])),
      ...(code === 202 && a.located ? { headers: { Location: { description: 'the operation: GET it for the outcome', schema: { type: 'string' } } } } : {}),
    }
  }
  for (const status of a.never ?? []) responses[status] = NEVER
  for (const [status, description] of Object.entries(a.refuses ?? {})) responses[status] = errorResponse(Number(status) as ErrorStatus, description)
  return responses
}

/** A status a route's shape suggests but the route never answers: left out of its document. */
const NEVER = { description: 'never', 'x-never': true } as unknown as OpenAPIV3.ResponseObject

/** An error answer: the shared error body, and Retry-After where the caller is to wait. */
export function errorResponse(status: ErrorStatus, description = ERRORS[status]): OpenAPIV3.ResponseObject {
  return {
    description,
    content: { 'application/json': { schema: { $ref: ERROR_REF } } },
    ...(status === 429 || status === 503 ? { headers: { 'Retry-After': retryAfter } } : {}),
  }
}

/** What the kit knows of a route, to derive the errors it can answer and whether it needs a token. */
export interface RouteShape {
  roles?: true | Role[]
  /** Whether the token may come as `?access_token=` too. */
  queryToken?: boolean
  params: boolean
  query: boolean
  /** A JSON body the kit reads, or a body the route reads itself (`streamed`). */
  body: 'json' | 'streamed' | 'none'
}

/**
 * The errors every route of this shape can answer: 401 (and 403 with roles)
 * where it needs a token, 404 with an id in its path, 400, 413 and 415 for a
 * body, 422 for anything it validates, 503 for all (the database or the broker away).
 */
export function derivedErrors(r: RouteShape): OpenAPIV3.ResponsesObject {
  const statuses: ErrorStatus[] = []
  if (r.roles) statuses.push(401)
  if (Array.isArray(r.roles)) statuses.push(403)
  if (r.params) statuses.push(404)
  if (r.body === 'json') statuses.push(400, 415)
  if (r.body !== 'none') statuses.push(413)
  if (r.body !== 'none' || r.params || r.query) statuses.push(422)
  statuses.push(503)
  return Object.fromEntries(statuses.map((s) => [s, errorResponse(s)]))
}

/** The bearer scheme, as `components.securitySchemes.bearer`. */
export const BEARER: OpenAPIV3.HttpSecurityScheme = { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'an access token from POST /auth/api/login' }

/** A route as Elysia keeps it: its hooks hold its schemas and its `detail`, the OpenAPI operation. */
interface DocumentedRoute {
  method: string
  path: string
  hooks: { params?: unknown; query?: unknown; body?: unknown; detail?: { hide?: boolean; responses?: OpenAPIV3.ResponsesObject; security?: unknown } }
}

/**
 * Completes each route's operation, once, when first asked (once every
 * feature has added its routes): the errors its shape can answer beside those
 * it declares, and the bearer scheme where it needs a token.
 */
export function documentedRoutes(routes: () => DocumentedRoute[], shapeOf: (route: DocumentedRoute) => RouteShape): () => void {
  let done = false
  return () => {
    if (done) return
    done = true
    for (const route of routes()) {
      const detail = (route.hooks.detail ??= {})
      if (detail.hide) continue
      const shape = shapeOf(route)
      const responses: OpenAPIV3.ResponsesObject = { ...derivedErrors(shape), ...detail.responses }
      detail.responses = Object.fromEntries(Object.entries(responses).filter(([, r]) => !(r as { 'x-never'?: boolean })['x-never']))
      if (shape.roles && detail.security === undefined) detail.security = shape.queryToken ? [{ bearer: [] }, { access_token: [] }] : [{ bearer: [] }]
    }
  }
}

/** The bearer token as `?access_token=`, where a route takes it so (a browser's EventSource). */
export const ACCESS_TOKEN_QUERY: OpenAPIV3.ApiKeySecurityScheme = { type: 'apiKey', in: 'query', name: 'access_token', description: 'the access token, where an Authorization header cannot be sent' }

export const HEALTH = feature('health', 'Whether the process runs, and whether it can do its work')
export const OPERATIONS = feature('operations', 'The outcome of a command answered with 202 while its worker had not answered')

export const Health = Type.Object({ status: Type.Literal('ok'), service: Type.String(), broker: Type.Union([Type.Literal('connected'), Type.Literal('unreachable')]) })
export const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  service: Type.String(),
  problems: Type.Array(Type.String(), { description: 'what is not reachable' }),
})

/** A command's outcome once its worker answered: its result, or the error it answered. */
export const Operation = Type.Object({
  operation_id: Type.String({ format: 'uuid' }),
  command_type: Type.String(),
  status: Type.String({ description: 'succeeded or failed' }),
  http_status: Type.Integer({ description: 'the status the request would have been answered with' }),
  result: Type.Optional(Type.Unknown({ description: 'what the route answers once the command succeeded' })),
  error: Type.Optional(Type.Unknown({ description: 'the error body, once the command failed' })),
})
