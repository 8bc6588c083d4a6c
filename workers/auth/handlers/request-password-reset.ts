import { and, eq, gt } from 'drizzle-orm'
import type { Tx } from '../../../core/index.ts'
import { users, userTokens } from '../../../schemas/db/auth.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { findAccount } from '../accounts.ts'
import { queueTokenEmail } from '../mail.ts'
import type { AuthSettings } from '../settings.ts'
import { RESET_PASSWORD } from '../tokens.ts'

/** A reset link asked for again within this time is not mailed again: the one on its way will do. */
const RESEND_AFTER_MS = 60_000

/**
 * Mails a reset link (1 hour) when an account has that address; answers the
 * same whether or not one does, so that nobody learns who has an account.
 */
export const requestPasswordReset =
  (settings: AuthSettings): NonNullable<CommandHandlers['auth.request_password_reset']> =>
  async ({ payload }, { tx }) => {
    const user = await findAccount(tx, payload.email)
    if (user && !(await recentlyMailedLocked(tx, user.id))) await queueTokenEmail(tx, settings, user, RESET_PASSWORD)
    return { status: 202, body: { accepted: true } }
  }

/**
 * Whether a reset link went to the account within RESEND_AFTER_MS, its row locked first: two asks
 * applied at once (the API does not wait for either) go one after the other, the second seeing the first's link.
 */
async function recentlyMailedLocked(tx: Tx, userId: string): Promise<boolean> {
  await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update')
  const since = new Date(Date.now() - RESEND_AFTER_MS)
  const [token] = await tx
    .select({ hash: userTokens.tokenHash })
    .from(userTokens)
    .where(and(eq(userTokens.userId, userId), eq(userTokens.purpose, RESET_PASSWORD), gt(userTokens.createdAt, since)))
    .limit(1)
  return token !== undefined
}
