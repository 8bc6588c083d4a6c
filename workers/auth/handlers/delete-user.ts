import { eq } from 'drizzle-orm'
import { notFound } from '../../../core/index.ts'
import { users, userTokens } from '../../../schemas/db/auth.ts'
import type { CommandHandlers } from '../../kit/define.ts'

export const deleteUser: NonNullable<CommandHandlers['auth.delete_user']> = async ({ payload }, { tx, emit }) => {
  const [user] = await tx.delete(users).where(eq(users.id, payload.user_id)).returning({ id: users.id })
  if (!user) throw notFound('user')
  await tx.delete(userTokens).where(eq(userTokens.userId, user.id))
  emit('user.deleted', { user_id: user.id })
  return { status: 200, body: { id: user.id, deleted: true } }
}
