import { eq } from 'drizzle-orm'
import { TransientError, type Tx } from '../../core/index.ts'
import { commEncadrants, commStudents } from '../../schemas/db/comm.ts'

/**
 * The account of a student, from comm's own directory: null for a student
 * since deleted (nobody to notify). A student comm has not met is retried:
 * their `student.created` is still on its way.
 */
export async function studentAccount(tx: Tx, studentId: string | null): Promise<string | null> {
  if (!studentId) throw new TransientError('STUDENT_UNKNOWN', 'the event names no student, and comm has not heard which student it is about yet')
  const [row] = await tx.select({ userId: commStudents.userId, deletedAt: commStudents.deletedAt }).from(commStudents).where(eq(commStudents.studentId, studentId))
  if (!row) throw new TransientError('STUDENT_UNKNOWN', `student ${studentId} is not known yet`)
  return row.deletedAt ? null : row.userId
}

/** The account of an encadrant; one comm has not met is retried: their `encadrant.created` is still on its way. */
export async function encadrantAccount(tx: Tx, encadrantId: string): Promise<string> {
  const [row] = await tx.select({ userId: commEncadrants.userId }).from(commEncadrants).where(eq(commEncadrants.encadrantId, encadrantId))
  if (!row) throw new TransientError('ENCADRANT_UNKNOWN', `encadrant ${encadrantId} is not known yet`)
  return row.userId
}

/** The accounts of the encadrants comm knows to be attached to the establishment; none is an answer too. */
export async function establishmentAccounts(tx: Tx, establishmentId: string): Promise<string[]> {
  const rows = await tx.select({ userId: commEncadrants.userId }).from(commEncadrants).where(eq(commEncadrants.establishmentId, establishmentId))
  return rows.map((r) => r.userId)
}
