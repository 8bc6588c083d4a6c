import { eq } from 'drizzle-orm'
import { users } from '../../../schemas/db/auth.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { SET_PASSWORD } from '../tokens.ts'
import { userView } from '../view.ts'
import { spendToken } from './tokens.ts'

/** The first password of an account made for someone else's record; the mailed link also proves the address. */
export const setPassword: NonNullable<CommandHandlers['auth.set_password']> = async ({ payload }, { tx, emit }) => {
  const user = await spendToken(tx, payload.token_hash, SET_PASSWORD)
  const now = new Date()
  const [updated] = await tx
    .update(users)
    .set({ passwordHash: payload.password_hash, verifiedAt: user.verifiedAt ?? now, tokenVersion: user.tokenVersion + 1, updatedAt: now })
    .where(eq(users.id, user.id))
    .returning()
  if (!user.verifiedAt) emit('user.verified', { user_id: user.id, email: user.email })
  emit('user.password_changed', { user_id: user.id, token_version: updated!.tokenVersion })
  return { status: 200, body: userView(updated!) }
}
