import { and, eq, gt } from 'drizzle-orm'
import { DomainError, forbidden, notFound, unprocessable, type Database } from '../../../core/index.ts'
import { sessions, users, userTokens } from '../../../schemas/db/auth.ts'
import { userView } from '../../../schemas/views/auth.ts'
import type { AccountLookup } from '../../kit/accounts.ts'
import type { Caller } from '../../kit/service-api.ts'

export const unauthenticated = (message: string) => new DomainError(401, 'UNAUTHENTICATED', message)

/** Auth's own accounts, read from its users at once: an id without a row is an account that does not exist. */
export const authAccounts =
  (db: Database): AccountLookup =>
  async (userId) => {
    const [user] = await db.select({ tokenVersion: users.tokenVersion, role: users.role }).from(users).where(eq(users.id, userId))
    return user ? { tokenVersion: user.tokenVersion, role: user.role, deleted: false } : { tokenVersion: 0, role: null, deleted: true }
  }

/**
 * The caller's account, refusing a token issued before the last password
 * change, for a deleted account, or for a session that ended (a logout).
 * A session not written yet (its worker is slow) does not refuse the token.
 */
export async function currentUser(db: Database, caller: Caller) {
  const [user] = await db.select().from(users).where(eq(users.id, caller.user_id))
  if (!user || user.tokenVersion !== caller.ver) throw unauthenticated('this token is no longer valid; log in again')
  if (caller.sid) {
    const [session] = await db.select({ endedAt: sessions.endedAt }).from(sessions).where(eq(sessions.id, caller.sid))
    if (session?.endedAt) throw unauthenticated('this session has ended; log in again')
  }
  return user
}

/** A user as seen by the caller: themself or, for an admin, anyone. The id may be written in either case. */
export async function getUser(db: Database, caller: Caller, id: string) {
  const own = await currentUser(db, caller)
  if (own.id !== id.toLowerCase() && caller.role !== 'admin') throw forbidden('you may see only your own account')
  const [user] = await db.select().from(users).where(eq(users.id, id))
  if (!user) throw notFound('user')
  return userView(user)
}

/**
 * 422 at `/token` unless it is a link of that purpose (to set or to reset a
 * password) this service mailed and that has not expired. A link already used
 * passes: its worker answers a request made again with its first answer, or refuses it.
 */
export async function assertMailedToken(db: Database, tokenHash: string, purpose: string): Promise<void> {
  const [token] = await db
    .select({ userId: userTokens.userId })
    .from(userTokens)
    .where(and(eq(userTokens.tokenHash, tokenHash), eq(userTokens.purpose, purpose), gt(userTokens.expiresAt, new Date())))
  if (!token) throw unprocessable('invalid token', [{ path: '/token', message: 'is invalid, expired or already used' }])
}
