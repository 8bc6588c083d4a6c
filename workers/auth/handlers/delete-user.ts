import { count, eq, sql } from 'drizzle-orm'
import { conflict, notFound, type Tx } from '../../../core/index.ts'
import { users } from '../../../schemas/db/auth.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { removeAccount } from '../removal.ts'

/**
 * Refuses (409) to delete the only admin account, whoever asks. Admin
 * deletions take one lock of their own (a transaction-level advisory lock, no
 * row of anyone's) and so go one at a time: of two admins deleting each other
 * at once, the second counts after the first committed and is refused.
 */
async function assertNotLastAdmin(tx: Tx, userId: string) {
  const [target] = await tx.select({ role: users.role }).from(users).where(eq(users.id, userId))
  if (target?.role !== 'admin') return
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('medtrack.auth.admin-deletion'))`)
  const [admins] = await tx.select({ n: count() }).from(users).where(eq(users.role, 'admin'))
  if (admins!.n <= 1) throw conflict('the last admin account cannot be deleted', [{ path: '/params/id', message: 'is the last admin account' }])
}

export const deleteUser: NonNullable<CommandHandlers['auth.delete_user']> = async ({ payload }, { tx, emit }) => {
  await assertNotLastAdmin(tx, payload.user_id)
  if (!(await removeAccount(tx, emit, payload.user_id))) throw notFound('user')
  return { status: 200, body: { id: payload.user_id, deleted: true } }
}
