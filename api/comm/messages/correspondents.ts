import { and, eq, inArray, isNull } from 'drizzle-orm'
import { DomainError, unprocessable, type Database } from '../../../core/index.ts'
import { commEncadrants, commStages, commStudents, commTokenVersions } from '../../../schemas/db/comm.ts'
import { mayWrite, SUPERVISED_STATUSES, WHOM_EACH_WRITES_TO, type Correspondent } from '../../../schemas/domain/messages.ts'
import type { Caller } from '../../kit/service-api.ts'

/**
 * Whether the account of `encadrantUser` supervises the account of
 * `studentUser`: the encadrant of one of the student's stages that was
 * accepted (and not cancelled since), as comm's read models know them.
 */
async function supervises(db: Database, encadrantUser: string, studentUser: string): Promise<boolean> {
  const [row] = await db
    .select({ stageId: commStages.stageId })
    .from(commStages)
    .innerJoin(commEncadrants, eq(commEncadrants.encadrantId, commStages.encadrantId))
    .innerJoin(commStudents, eq(commStudents.studentId, commStages.studentId))
    .where(and(eq(commEncadrants.userId, encadrantUser), eq(commStudents.userId, studentUser), isNull(commStudents.deletedAt), inArray(commStages.status, [...SUPERVISED_STATUSES])))
    .limit(1)
  return row !== undefined
}

/**
 * Refuses a message the caller may not send to `receiverId`, by WRITES_TO:
 * 422 naming `/receiver_id` for the caller themself or an account comm does
 * not know (never heard of, or deleted); 403 saying whom the caller writes to
 * for anyone else. What comm has not heard of yet (a stage accepted a moment
 * ago, its event still on its way) is not known: refused until it is.
 */
export async function assertMayWrite(db: Database, caller: Caller, receiverId: string): Promise<void> {
  if (receiverId === caller.user_id) throw unprocessable('a message goes to someone else', [{ path: '/receiver_id', message: 'is yourself' }])
  const [receiver] = await db.select().from(commTokenVersions).where(eq(commTokenVersions.userId, receiverId))
  if (!receiver || receiver.role === null || receiver.deletedAt !== null) {
    throw unprocessable('unknown receiver', [{ path: '/receiver_id', message: 'no account has this id' }])
  }
  const is = new Set<Correspondent>()
  if (receiver.role === 'admin') is.add('admin')
  if (caller.role === 'student' && receiver.role === 'encadrant' && (await supervises(db, receiverId, caller.user_id))) is.add('supervisor')
  if (caller.role === 'encadrant' && receiver.role === 'student' && (await supervises(db, caller.user_id, receiverId))) is.add('supervisee')
  if (!mayWrite(caller.role, is)) {
    throw new DomainError(403, 'FORBIDDEN', `you may not write to this user: ${WHOM_EACH_WRITES_TO[caller.role]}`, [{ path: '/receiver_id', message: `is not someone you may write to` }])
  }
}
