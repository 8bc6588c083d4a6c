import { and, eq, gt, isNull } from 'drizzle-orm'
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
  if (!user) throw unprocessable('invalid token', [{ path: '/token', message: 'is invalid, expired or already used' }])
  return user
}
