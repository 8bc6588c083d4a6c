import { Buffer } from 'node:buffer'
import { describe, withTimeout, type Logger } from '../../core/index.ts'
import { bearerToken } from '../kit/jwt.ts'

/** Auth's answer on a token: still its account's, no longer (or never) valid, or not known (auth did not answer). */
export type Session = 'valid' | 'revoked' | 'unknown'

export interface SessionCheckOptions {
  /** Base URL of the auth API. */
  authUrl: string
  /** How long an answer is reused: a token revoked by a password change stops working within this time. */
  cacheMs: number
  /** @default 2000 */
  timeoutMs?: number
  log: Logger
}

const CACHE_MAX = 10_000

/** The user id and role a token says it is for, read without checking its signature (auth checks it); undefined if it says none. */
function claimed(authorization: string): { sub: string; role: string } | undefined {
  const body = bearerToken(authorization)?.split('.')[1]
  try {
    const claims = body ? JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) : undefined
    return typeof claims?.sub === 'string' && typeof claims?.role === 'string' ? { sub: claims.sub, role: claims.role } : undefined
  } catch {
    return undefined
  }
}

/**
 * Asks auth (`GET /auth/api/me`, a read) whether a bearer token is still
 * current, so tokens issued before a password change, of a deleted account,
 * or naming another role than the account's stop working on every service:
 * `valid` only when auth answers 200 with the very user and role the token
 * names. Auth not answering in time, or with anything but 200 or 401, is
 * `unknown`: the gateway refuses the request (503), it does not guess. Valid
 * and revoked answers are reused for `cacheMs`; unknown ones never.
 */
export function createSessionCheck(o: SessionCheckOptions) {
  const cache = new Map<string, { session: Session; until: number }>()
  return async function check(authorization: string): Promise<Session> {
    const now = Date.now()
    const known = cache.get(authorization)
    if (known && known.until > now) return known.session
    let session: Session = 'unknown'
    try {
      const res = await withTimeout(fetch(`${o.authUrl}/auth/api/me`, { headers: { authorization } }), o.timeoutMs ?? 2_000)
      if (res.status === 200) {
        const account = (await res.json()) as { id?: unknown; role?: unknown }
        const token = claimed(authorization)
        session = token && account.id === token.sub && account.role === token.role ? 'valid' : 'revoked'
      } else {
        await res.arrayBuffer()
        if (res.status === 401) session = 'revoked'
        else o.log.warn('session check failed; refusing the request', { status: res.status })
      }
    } catch (err) {
      o.log.warn('session check unavailable; refusing the request', { error: describe(err) })
    }
    if (session !== 'unknown') {
      if (cache.size >= CACHE_MAX) cache.clear()
      cache.set(authorization, { session, until: now + o.cacheMs })
    }
    return session
  }
}
