import { and, eq, gt, isNotNull, isNull } from 'drizzle-orm'
import { unprocessable, type Tx } from '../../../core/index.ts'
import { users, userTokens } from '../../../schemas/db/auth.ts'

/**
 * Spends a mailed token, found by its hash: its user, or 422 at `/token` (the
 * caller's field) when it is unknown, used, expired or for something else.
 */
export async function spendToken(tx: Tx, tokenHash: string, purpose: string) {
  const [spent] = await tx
    .update(userTokens)
    .set({ usedAt: new Date() })
    .where(and(eq(userTokens.tokenHash, tokenHash), eq(userTokens.purpose, purpose), isNull(userTokens.usedAt), gt(userTokens.expiresAt, new Date())))
    .returning({ userId: userTokens.userId })
  const [user] = spent ? await tx.select().from(users).where(eq(users.id, spent.userId)) : []
  if (!user) throw invalidToken()
  return user
}

const invalidToken = () => unprocessable('invalid token', [{ path: '/token', message: 'is invalid, expired or already used' }])

/**
 * The user of a mailed token already spent and not yet expired, or 422 as
 * `spendToken` gives: for a request made again (a second click on a link).
 */
export async function spentTokenUser(tx: Tx, tokenHash: string, purpose: string) {
  const [spent] = await tx
    .select({ userId: userTokens.userId })
    .from(userTokens)
    .where(and(eq(userTokens.tokenHash, tokenHash), eq(userTokens.purpose, purpose), isNotNull(userTokens.usedAt), gt(userTokens.expiresAt, new Date())))
  const [user] = spent ? await tx.select().from(users).where(eq(users.id, spent.userId)) : []
  if (!user) throw invalidToken()
  return user
}
