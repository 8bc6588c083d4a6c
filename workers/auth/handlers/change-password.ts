import { eq, sql } from 'drizzle-orm'
import { notFound } from '../../../core/index.ts'
import { users } from '../../../schemas/db/auth.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { userView } from '../view.ts'

/** New password hash; the token version goes up, so tokens issued before stop working. */
export const changePassword: NonNullable<CommandHandlers['auth.change_password']> = async ({ payload }, { tx, emit }) => {
  const [user] = await tx
    .update(users)
    .set({ passwordHash: payload.password_hash, tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: new Date() })
    .where(eq(users.id, payload.user_id))
    .returning()
  if (!user) throw notFound('user')
  emit('user.password_changed', { user_id: user.id, token_version: user.tokenVersion })
  return { status: 200, body: userView(user) }
}
