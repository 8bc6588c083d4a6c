import { describe, withTimeout, type Logger } from '../../core/index.ts'

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

/**
 * Asks auth (`GET /auth/api/me`, a read) whether a bearer token is still
 * current, so tokens issued before a password change, or of a deleted account,
 * stop working on every service. When auth cannot answer the check is
 * `unknown` and the request goes on: the services still verify the signature.
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
      await res.arrayBuffer()
      session = res.status === 200 ? 'valid' : res.status === 401 ? 'revoked' : 'unknown'
    } catch (err) {
      o.log.warn('session check unavailable; letting the request through', { error: describe(err) })
    }
    if (session !== 'unknown') {
      if (cache.size >= CACHE_MAX) cache.clear()
      cache.set(authorization, { session, until: now + o.cacheMs })
    }
    return session
  }
}
