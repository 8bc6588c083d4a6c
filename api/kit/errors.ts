import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { DomainError, hasErrorCode, jsonPointer, MedTrackError, TryAgainLater, type Problem } from '../../core/index.ts'
import { NON_BLANK, ONE_LINE } from './fields.ts'

/** The JSON body of every error answer: a code, a sentence, and the offending fields when there are some. */
export const ErrorAnswer = Type.Object(
  {
    error: Type.String({ description: 'a code: VALIDATION_FAILED, NOT_FOUND, OFFER_FULL…' }),
    message: Type.String({ description: 'what went wrong, in a sentence' }),
    problems: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({ description: 'a JSON pointer to the field: /email, /query/page, /params/id' }),
          message: Type.String(),
        }),
      ),
    ),
  },
  { description: 'every error answer' },
)
export type ErrorBody = Static<typeof ErrorAnswer>

export function errorBody(error: string, message: string, problems?: Problem[]): ErrorBody {
  return problems && problems.length > 0 ? { error, message, problems } : { error, message }
}

/**
 * The answer to a request no route takes: 405 with Allow when the path takes
 * other methods (`allowed`, from the app's routes), else 404 naming the route.
 */
export function noRoute(request: Request, allowed: (path: string) => string[], set: { status?: number | string; headers: Record<string, string | number> }): ErrorBody {
  const path = new URL(request.url).pathname
  const methods = allowed(path)
  if (methods.length > 0) {
    set.status = 405
    set.headers.allow = methods.join(', ')
    return errorBody('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; it takes ${methods.join(', ')}`)
  }
  set.status = 404
  return errorBody('NOT_FOUND', `no route ${request.method} ${path}`)
}

/** What the validator says of a text field holding only spaces (fields.ts), said plainly instead. */
const BLANK_MESSAGE = `Expected string to match '${NON_BLANK}'`
/** What it says of a one-line field (a name) that is blank or holds a control character. */
const ONE_LINE_MESSAGE = `Expected string to match '${ONE_LINE}'`
const CONTROL = /[\u0001-\u001F\u007F-\u009F\u2028\u2029]/

/** One error of the validator (TypeBox's ValueError): where, what it says, and the schema and value it was about. */
interface ValueProblem {
  path: string
  message: string
  schema?: { anyOf?: (TSchema & { const?: unknown; type?: string; format?: string })[] }
  value?: unknown
}

/**
 * What the validator says, said plainly where it says too little: a missing
 * field is required, a choice names its options, a flag is true or false,
 * text holding only spaces must not be blank, a name must be one line.
 */
function plainMessage(e: ValueProblem): string {
  if (e.value === undefined) return 'is required'
  if (e.message === BLANK_MESSAGE) return 'must not be blank'
  if (e.message === ONE_LINE_MESSAGE) {
    return typeof e.value === 'string' && CONTROL.test(e.value) ? 'must be one line, without control characters (a newline, a tab)' : 'must not be blank'
  }
  const options = e.schema?.anyOf
  if (!options || e.message !== 'Expected union value') return e.message
  if (options.every((o) => o.const !== undefined)) return `must be one of ${options.map((o) => JSON.stringify(o.const)).join(', ')}`
  if (options.some((o) => o.type === 'boolean' || o.format === 'boolean')) return 'must be true or false'
  // A value or null (a field a PATCH may clear), given a value of that kind: what is wrong with it as that value.
  const [other, ...more] = options.filter((o) => o.type !== 'null')
  if (other && more.length === 0 && typeof e.value === other.type) {
    const first = Value.Errors(other, e.value).First()
    if (first) return `${plainMessage(first as ValueProblem)}, or null`
  }
  const described = options.map((o) => (o.type === 'null' ? 'null' : o.format ? `a ${o.format}` : `a ${o.type ?? 'value of another kind'}`))
  return `must be ${[...new Set(described)].join(' or ')}`
}

/** Elysia's validation errors as field problems: `/email`, `/query/page`, `/params/id`. */
export function validationProblems(where: string, errors: ValueProblem[]): Problem[] {
  const prefix = where === 'body' ? '' : `/${where}`
  const seen = new Set<string>()
  const problems: Problem[] = []
  for (const e of errors) {
    const path = `${prefix}${e.path}` || '/'
    if (seen.has(path)) continue
    seen.add(path)
    problems.push({ path, message: plainMessage(e) })
  }
  return problems
}

/**
 * Every string in `value` (keys included) that holds a NUL character, which
 * PostgreSQL cannot store: as problems at their paths, prefixed like
 * `validationProblems` (`/email`, `/query/q`, `/params/id`).
 */
export function nulProblems(where: string, value: unknown): Problem[] {
  const problems: Problem[] = []
  const pending: [string, unknown][] = [[where === 'body' ? '' : `/${where}`, value]]
  while (pending.length > 0) {
    const [path, v] = pending.pop()!
    if (typeof v === 'string') {
      if (v.includes('\u0000')) problems.push({ path: path || '/', message: 'must not contain the NUL character (\\u0000)' })
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => pending.push([`${path}/${i}`, item]))
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        if (key.includes('\u0000')) problems.push({ path: `${path}/${jsonPointer(key)}`, message: 'the name must not contain the NUL character (\\u0000)' })
        pending.push([`${path}/${jsonPointer(key)}`, item])
      }
    }
  }
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** A Content-Type without its parameters: `application/json; charset=utf-8` → `application/json`. */
const mediaType = (contentType: string) => contentType.split(';', 1)[0]!.trim()

/** Whether a Content-Type names JSON: `application/json` or an `application/…+json` type, in any case, with any parameters. */
export function isJsonType(contentType: string): boolean {
  const type = mediaType(contentType).toLowerCase()
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

/**
 * A body that is not JSON: refused, not read. Forms in particular, which a
 * page of another site can make a browser send here without asking first.
 */
export const unsupportedMediaType = (contentType: string) =>
  new DomainError(415, 'UNSUPPORTED_MEDIA_TYPE', `the request body must be JSON, sent as application/json, not ${mediaType(contentType) || 'without a content-type'}`, [
    { path: '/headers/content-type', message: 'must be application/json' },
  ])

/** The most a request body may hold: 10 MiB. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024

/**
 * The server's own cap on a body (Bun's `maxRequestBodySize`). Bun refuses a
 * body over it with an empty 413 before the app sees the request, so it sits
 * above MAX_BODY_BYTES: a body declared larger than MAX_BODY_BYTES (and not
 * larger than this) gets the JSON 413 at once; a body that does not declare its
 * length is never held beyond this.
 */
export const SERVER_BODY_CAP = 2 * MAX_BODY_BYTES

export const payloadTooLarge = () => new DomainError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${MAX_BODY_BYTES} bytes`)

/** Whether the request declares a body larger than MAX_BODY_BYTES. */
export function declaresTooLarge(request: Request): boolean {
  return Number(request.headers.get('content-length') ?? 0) > MAX_BODY_BYTES
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'CONNECT_TIMEOUT', '57P01', '57P02', '57P03'])

/**
 * Whether `err` (or an error it was caused by, as drizzle wraps postgres.js's)
 * says the database cannot be reached: refused, reset or timed-out
 * connections, postgres.js's `CONNECTION_*`, SQLSTATE class 08 (connection
 * exception) and 57P01–57P03 (the server is shutting down or starting).
 */
export function databaseUnavailable(err: unknown): boolean {
  return hasErrorCode(err, ({ code }) => UNAVAILABLE_CODES.has(code) || code.startsWith('CONNECTION_') || /^08[0-9A-Z]{3}$/.test(code))
}

const RETRY_AFTER_SECONDS = 5

/** Status and body for an error a route threw. */
export function answerFor(err: unknown): { status: number; body: ErrorBody; retryAfter?: number } {
  if (err instanceof DomainError) {
    const retryAfter = err instanceof TryAgainLater ? { retryAfter: err.retryAfterSeconds } : {}
    return { status: err.status, body: errorBody(err.code, err.message, err.problems), ...retryAfter }
  }
  if ((err instanceof MedTrackError && err.transient) || databaseUnavailable(err)) {
    return { status: 503, body: errorBody('SERVICE_UNAVAILABLE', 'the service cannot take this request right now; try again'), retryAfter: RETRY_AFTER_SECONDS }
  }
  return { status: 500, body: errorBody('INTERNAL', 'unexpected error') }
}
