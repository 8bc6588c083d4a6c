/**
 * The error family every handler, publisher and API shares. Each error says
 * whether retrying can help: the consumer maps `transient` to a delayed retry
 * and `permanent` to the dead-letter queue; the API maps codes to statuses.
 */
export type ErrorClass = 'transient' | 'permanent'

export interface Problem {
  /** JSON path of the offending value, e.g. `/payload/email`; `/` for the whole. */
  path: string
  message: string
}

export class MedTrackError extends Error {
  override name = 'MedTrackError'
  readonly code: string
  readonly errorClass: ErrorClass
  constructor(code: string, message: string, errorClass: ErrorClass, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.errorClass = errorClass
  }
  get transient(): boolean {
    return this.errorClass === 'transient'
  }
}

/** Retrying may succeed: a database, broker or mail server was unavailable, a timeout. */
export class TransientError extends MedTrackError {
  override name = 'TransientError'
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, 'transient', options)
  }
}

/** Retrying cannot succeed: the input is wrong or a domain rule says no. */
export class PermanentError extends MedTrackError {
  override name = 'PermanentError'
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, 'permanent', options)
  }
}

/** A message or payload failed its schema; `problems` names every offending path. */
export class ValidationError extends PermanentError {
  override name = 'ValidationError'
  readonly problems: Problem[]
  constructor(message: string, problems: Problem[], options?: { cause?: unknown }) {
    super('VALIDATION_FAILED', `${message}: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, options)
    this.problems = problems
  }
}

/** The broker did not confirm a publish in time; the message may or may not have been routed. */
export class PublishTimeoutError extends TransientError {
  override name = 'PublishTimeoutError'
  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super('PUBLISH_TIMEOUT', `broker did not confirm within ${timeoutMs} ms`, options)
  }
}

/**
 * The connection to the database was lost after a transaction's COMMIT was
 * sent and before its answer came: the transaction may have committed, or not.
 */
export class CommitUnknownError extends TransientError {
  override name = 'CommitUnknownError'
  constructor(cause: unknown) {
    super('COMMIT_UNKNOWN', `the database connection was lost before the commit was answered: ${describe(cause)}`, { cause })
  }
}

/**
 * PostgreSQL refusing the data itself (SQLSTATE class 22 data exception,
 * 23 integrity violation, 42 syntax or access rule, 54 program limit exceeded:
 * a value too large for an index, say) will refuse it again.
 */
const PERMANENT_SQLSTATE = /^(22|23|42|54)[0-9A-Z]{3}$/

/** A failed query's own error: drizzle wraps the driver's, whose message names no parameter. */
function databaseCause(err: unknown): (Error & { code?: unknown }) | undefined {
  if (err instanceof Error && 'query' in err && 'params' in err && err.cause instanceof Error) return err.cause
  return undefined
}

/** What a driver's error says of itself: its code (a SQLSTATE, `ECONNREFUSED`…) and, for a constraint, its name. */
export interface ErrorCode {
  code: string
  constraint?: string
}

/**
 * Whether `err`, or an error it was caused by (drizzle wraps postgres.js's,
 * the unit of work wraps a handler's), has a code that `test` accepts.
 */
export function hasErrorCode(err: unknown, test: (e: ErrorCode) => boolean): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const { code, constraint_name } = e as { code?: unknown; constraint_name?: unknown }
    if (typeof code === 'string' && test({ code, ...(typeof constraint_name === 'string' ? { constraint: constraint_name } : {}) })) return true
  }
  return false
}

/** SQLSTATEs of a transaction PostgreSQL undid for another one (a deadlock, a serialization failure): made again, it goes through. */
const LOST_TO_ANOTHER = new Set(['40P01', '40001'])

/** Whether `err` is PostgreSQL undoing the transaction for another one's sake. */
export const lostToAnotherTransaction = (err: unknown) => hasErrorCode(err, ({ code }) => LOST_TO_ANOTHER.has(code))

/** Anything not of the family is treated as transient, except data the database refuses: unknown failures deserve a retry. */
export function classify(err: unknown): ErrorClass {
  if (err instanceof MedTrackError) return err.errorClass
  const code = (databaseCause(err) ?? (err as { code?: unknown }))?.code
  return typeof code === 'string' && PERMANENT_SQLSTATE.test(code) ? 'permanent' : 'transient'
}

/** A one-line account of an error that never carries query parameters (they may hold passwords or tokens). */
export function describe(err: unknown): string {
  const cause = databaseCause(err)
  if (cause) return `database: ${cause.message}${typeof cause.code === 'string' ? ` (${cause.code})` : ''}`
  if (err instanceof Error) return err.message || err.name
  return String(err)
}

/**
 * A domain rule said no: permanent, and answered to the caller with `status`
 * (404 not found, 409 conflict, 422 unprocessable, 403 forbidden) instead of
 * being dead-lettered when it ends a command.
 */
export class DomainError extends PermanentError {
  override name = 'DomainError'
  readonly status: number
  readonly problems: Problem[]
  constructor(status: number, code: string, message: string, problems: Problem[] = []) {
    super(code, message)
    this.status = status
    this.problems = problems
  }
}

/** A refusal that lasts a while: answered with `status` and the seconds after which to try again (Retry-After). */
export class TryAgainLater extends DomainError {
  override name = 'TryAgainLater'
  readonly retryAfterSeconds: number
  constructor(status: number, code: string, retryAfterSeconds: number, message: string) {
    super(status, code, message)
    this.retryAfterSeconds = retryAfterSeconds
  }
}

/** A caller trying too often (failed logins, say): 429, and the seconds after which to try again. */
export class TooManyAttempts extends TryAgainLater {
  override name = 'TooManyAttempts'
  constructor(retryAfterSeconds: number, message: string) {
    super(429, 'TOO_MANY_ATTEMPTS', retryAfterSeconds, message)
  }
}

export const notFound = (what: string) => new DomainError(404, 'NOT_FOUND', `${what} not found`)
export const conflict = (message: string, problems: Problem[] = []) => new DomainError(409, 'CONFLICT', message, problems)
export const unprocessable = (message: string, problems: Problem[]) => new DomainError(422, 'UNPROCESSABLE', message, problems)
export const forbidden = (message = 'not allowed') => new DomainError(403, 'FORBIDDEN', message)
