import { and, eq, gt, sql } from 'drizzle-orm'
import { DomainError, forbidden, notFound, unprocessable, type Database } from '../../../core/index.ts'
import { users, userTokens } from '../../../schemas/db/auth.ts'
import { SET_PASSWORD } from '../../../workers/auth/tokens.ts'
import { userView } from '../../../workers/auth/view.ts'
import type { AccountLookup } from '../../kit/accounts.ts'
import { signToken } from '../../kit/jwt.ts'
import type { Caller } from '../../kit/service-api.ts'
import { checkPassword } from './passwords.ts'

const unauthenticated = (message: string) => new DomainError(401, 'UNAUTHENTICATED', message)

/** Auth's own accounts, read from its users at once: an id without a row is an account that does not exist. */
export const authAccounts =
  (db: Database): AccountLookup =>
  async (userId) => {
    const [user] = await db.select({ tokenVersion: users.tokenVersion, role: users.role }).from(users).where(eq(users.id, userId))
    return user ? { tokenVersion: user.tokenVersion, role: user.role, deleted: false } : { tokenVersion: 0, role: null, deleted: true }
  }

export async function findByEmail(db: Database, email: string) {
  const [user] = await db.select().from(users).where(sql`lower(${users.email}) = lower(${email.trim()})`)
  return user
}

/** The caller's account, refusing a token issued before the last password change or for a deleted account. */
export async function currentUser(db: Database, caller: Caller) {
  const [user] = await db.select().from(users).where(eq(users.id, caller.user_id))
  if (!user || user.tokenVersion !== caller.ver) throw unauthenticated('this token is no longer valid; log in again')
  return user
}

export async function login(db: Database, secret: string, ttlSeconds: number, email: string, password: string) {
  const user = await findByEmail(db, email)
  if (!user || !(await checkPassword(password, user.passwordHash))) throw unauthenticated('wrong email or password')
  const role = user.role as Caller['role']
  const accessToken = await signToken(secret, { sub: user.id, role, email: user.email, ver: user.tokenVersion }, ttlSeconds)
  return { access_token: accessToken, token_type: 'Bearer', expires_in: ttlSeconds, user: userView(user) }
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
 * 422 at `/token` unless it is a set-password link this service mailed and
 * that has not expired. A link already used passes: its worker answers a
 * request made again with its first answer, or refuses it.
 */
export async function assertSetPasswordToken(db: Database, tokenHash: string): Promise<void> {
  const [token] = await db
    .select({ userId: userTokens.userId })
    .from(userTokens)
    .where(and(eq(userTokens.tokenHash, tokenHash), eq(userTokens.purpose, SET_PASSWORD), gt(userTokens.expiresAt, new Date())))
  if (!token) throw unprocessable('invalid token', [{ path: '/token', message: 'is invalid, expired or already used' }])
}
