/** The ops API as the console calls it: JSON in and out, the session's bearer token, errors as ApiError. */
import { currentSession, endSession, startSession } from './session.js'

/** An answer that is not a success: its status and the API's `{ error, message, problems? }`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `the server answered ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.code = body?.error ?? 'UNKNOWN'
    this.problems = Array.isArray(body?.problems) ? body.problems : []
  }
}

/** An error as one sentence for the reader, each field problem named (`/query/since: must be…`). */
export function errorText(err) {
  if (!(err instanceof ApiError)) return `The server could not be reached (${err?.message ?? err}).`
  const problems = err.problems.map((p) => `${p.path}: ${p.message}`)
  return [err.message, ...problems].join('; ')
}

/** How often, and how long, an operation answered 202 is asked after. */
const POLL_MS = 500
const POLL_FOR_MS = 30_000

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function send(method, path, body) {
  const session = currentSession()
  const headers = { accept: 'application/json' }
  if (session) headers.authorization = `Bearer ${session.token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  let json
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = { error: 'NOT_JSON', message: `the server answered ${res.status} with something that is not JSON` }
  }
  return { res, json }
}

/** The renewal under way, shared by every call that found the access token expired at once (a refresh token works once). */
let renewal

/** Trades the session's refresh token for new tokens; resolves whether the session goes on. */
function renewed() {
  renewal ??= renew().finally(() => (renewal = undefined))
  return renewal
}

async function renew() {
  const session = currentSession()
  if (!session?.refresh) return false
  const { res, json } = await send('POST', '/auth/api/refresh', { refresh_token: session.refresh })
  // A 202 (the worker is slow) gives no access token: the session cannot go on without one.
  if (res.status !== 200 || !json?.access_token) return false
  startSession({ token: json.access_token, refresh: json.refresh_token, email: session.email })
  return true
}

/**
 * One call; resolves with the JSON of a success. A 202 with a Location (the
 * worker has not answered yet) is followed until the operation's outcome.
 * A 401 renews the session once (the access token lives 15 minutes) and
 * calls again; a second 401 ends it: the session expired or was ended.
 */
export async function api(method, path, body) {
  let { res, json } = await send(method, path, body)
  if (res.status === 401 && currentSession() && (await renewed())) ({ res, json } = await send(method, path, body))
  if (res.status === 401 && currentSession()) endSession('Your session has ended; sign in again.')
  if (!res.ok) throw new ApiError(res.status, json)
  const location = res.headers.get('location')
  return res.status === 202 && location ? outcomeOf(location) : json
}

/** Polls an operation until it succeeded (its result) or failed (an ApiError of its status). */
async function outcomeOf(location) {
  const until = Date.now() + POLL_FOR_MS
  while (Date.now() < until) {
    await wait(POLL_MS)
    const { res, json } = await send('GET', location)
    if (!res.ok) throw new ApiError(res.status, json)
    if (res.status === 202) continue
    if (json.status === 'succeeded') return json.result
    throw new ApiError(json.http_status ?? 500, json.error)
  }
  throw new ApiError(504, { error: 'STILL_PENDING', message: 'the worker has not answered yet; look again in a moment' })
}

/** A query string of the filled fields only. */
export function query(fields) {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(fields)) if (value !== undefined && value !== null && String(value).trim() !== '') params.set(name, String(value).trim())
  const text = params.toString()
  return text ? `?${text}` : ''
}
