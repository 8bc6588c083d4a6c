import { asc, eq } from 'drizzle-orm'
import { conflict, notFound, type Tx } from '../../../core/index.ts'
import { users, userTokens } from '../../../schemas/db/auth.ts'
import type { CommandHandlers } from '../../kit/define.ts'

/**
 * Refuses (409) to delete the only admin account, whoever asks. Every admin row
 * is locked, in id order so that two deletions never wait on each other in a
 * cycle: of two admins deleting each other at once, the second sees the first
 * deletion and is refused.
 */
async function assertNotLastAdmin(tx: Tx, userId: string) {
  const [target] = await tx.select({ id: users.id, role: users.role }).from(users).where(eq(users.id, userId))
  if (target?.role !== 'admin') return
  const admins = await tx.select({ id: users.id }).from(users).where(eq(users.role, 'admin')).orderBy(asc(users.id)).for('update')
  if (admins.length === 1 && admins[0]!.id === target.id) {
    throw conflict('the last admin account cannot be deleted', [{ path: '/params/id', message: 'is the last admin account' }])
  }
}

export const deleteUser: NonNullable<CommandHandlers['auth.delete_user']> = async ({ payload }, { tx, emit }) => {
  await assertNotLastAdmin(tx, payload.user_id)
  const [user] = await tx.delete(users).where(eq(users.id, payload.user_id)).returning({ id: users.id })
  if (!user) throw notFound('user')
  await tx.delete(userTokens).where(eq(userTokens.userId, user.id))
  emit('user.deleted', { user_id: user.id })
  return { status: 200, body: { id: user.id, deleted: true } }
}
