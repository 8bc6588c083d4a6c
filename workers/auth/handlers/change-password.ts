import { eq, sql } from 'drizzle-orm'
import { notFound } from '../../../core/index.ts'
import { users } from '../../../schemas/db/auth.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { endUserSessions } from '../sessions.ts'
import { userView } from '../../../schemas/views/auth.ts'
import { spendPasswordLinks } from './tokens.ts'

/**
 * New password hash; the token version goes up, so tokens issued before stop
 * working, and every other session ends: the one it was asked from refreshes on.
 * A reset link mailed before no longer works.
 */
export const changePassword: NonNullable<CommandHandlers['auth.change_password']> = async ({ payload }, { tx, emit }) => {
  const [user] = await tx
    .update(users)
    .set({ passwordHash: payload.password_hash, tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: new Date() })
    .where(eq(users.id, payload.user_id))
    .returning()
  if (!user) throw notFound('user')
  await endUserSessions(tx, user.id, 'password_changed', payload.session_id)
  await spendPasswordLinks(tx, user.id)
  emit('user.password_changed', { user_id: user.id, token_version: user.tokenVersion })
  return { status: 200, body: userView(user) }
}
