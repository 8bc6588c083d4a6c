import { and, eq, gt, inArray, isNotNull, isNull } from 'drizzle-orm'
import { unprocessable, type Tx } from '../../../core/index.ts'
import { users, userTokens } from '../../../schemas/db/auth.ts'
import { RESET_PASSWORD, SET_PASSWORD } from '../tokens.ts'

/**
 * Spends a mailed token, found by its hash: its user, or 422 at `/token` (the
 * caller's field) when it is unknown, used, expired or for something else.
 */
export async function spendToken(tx: Tx, tokenHash: string, purpose: string) {
  const [spent] = await tx
    .update(userTokens)
    .set({ usedAt: new Date() })
    .where(and(unexpired(tokenHash, purpose), isNull(userTokens.usedAt)))
    .returning({ userId: userTokens.userId })
  return userOf(tx, spent)
}

/** The token of that hash and purpose, while it lasts. */
const unexpired = (tokenHash: string, purpose: string) => and(eq(userTokens.tokenHash, tokenHash), eq(userTokens.purpose, purpose), gt(userTokens.expiresAt, new Date()))

/** The user a token found is for, or 422 at `/token` when none was found. */
async function userOf(tx: Tx, token: { userId: string } | undefined) {
  const [user] = token ? await tx.select().from(users).where(eq(users.id, token.userId)) : []
  if (!user) throw unprocessable('invalid token', [{ path: '/token', message: 'is invalid, expired or already used' }])
  return user
}

/**
 * The user of a mailed token already spent and not yet expired, or 422 as
 * `spendToken` gives: for a request made again (a second click on a link).
 */
export async function spentTokenUser(tx: Tx, tokenHash: string, purpose: string) {
  const [spent] = await tx.select({ userId: userTokens.userId }).from(userTokens).where(and(unexpired(tokenHash, purpose), isNotNull(userTokens.usedAt)))
  return userOf(tx, spent)
}

/**
 * Spends every link of the user that chooses a password and is not used yet:
 * once a password is set (changed, reset, or set through one of them), an
 * older link mailed before must not set another.
 */
export async function spendPasswordLinks(tx: Tx, userId: string): Promise<void> {
  await tx
    .update(userTokens)
    .set({ usedAt: new Date() })
    .where(and(eq(userTokens.userId, userId), inArray(userTokens.purpose, [RESET_PASSWORD, SET_PASSWORD]), isNull(userTokens.usedAt)))
}
