import { eq } from 'drizzle-orm'
import { users } from '../../../schemas/db/auth.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { VERIFY_EMAIL } from '../tokens.ts'
import { userView } from '../../../schemas/views/auth.ts'
import { spendToken, spentTokenUser } from './tokens.ts'

/**
 * Verifies the account of a mailed token, answering with the account. The
 * link followed again while the token is still valid (a second click, a page
 * that asks twice) succeeds too, saying only that the account is verified: a
 * spent link must not go on showing the account to whoever holds it.
 */
export const verifyEmail: NonNullable<CommandHandlers['auth.verify_email']> = async ({ payload }, { tx, emit }) => {
  const user = await spendToken(tx, payload.token_hash, VERIFY_EMAIL).catch(async (err) => {
    const again = await spentTokenUser(tx, payload.token_hash, VERIFY_EMAIL).catch(() => undefined)
    if (again?.verifiedAt) return undefined
    throw err
  })
  if (!user) return { status: 200, body: { verified: true } }
  if (user.verifiedAt) return { status: 200, body: userView(user) }
  const [verified] = await tx.update(users).set({ verifiedAt: new Date(), updatedAt: new Date() }).where(eq(users.id, user.id)).returning()
  emit('user.verified', { user_id: user.id, email: user.email })
  return { status: 200, body: userView(verified!) }
}
