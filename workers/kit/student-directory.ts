import { eq, sql } from 'drizzle-orm'
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core'
import { PermanentError, type Logger, type Tx } from '../../core/index.ts'

/** A service's own copy of who each student is: `student.created` fills it, `student.deleted` leaves a tombstone. */
export type StudentDirectory = PgTable & { studentId: PgColumn; userId: PgColumn; email: PgColumn; deletedAt: PgColumn; updatedAt: PgColumn }

/**
 * Remembers a student's account from `student.created`, once. The first
 * account a student is linked to stays theirs: an event naming another (from
 * outside, say) is refused with OWNER_CONFLICT (dead-lettered, and logged);
 * one for a student already deleted (it came late, after `student.deleted`)
 * is `deleted`: the caller changes nothing. Resolves `new` the first time,
 * `known` for the same link again.
 */
export async function rememberStudent(
  tx: Tx,
  table: StudentDirectory,
  event: { service: string; payload: { student_id: string; user_id: string; email: string } },
  log: Logger,
): Promise<'new' | 'known' | 'deleted'> {
  const { student_id, user_id, email } = event.payload
  const [made] = await tx.insert(table).values({ studentId: student_id, userId: user_id, email }).onConflictDoNothing().returning({ studentId: table.studentId })
  if (made) return 'new'
  const [known] = (await tx.select().from(table).where(eq(table.studentId, student_id))) as { userId: string; deletedAt: Date | null }[]
  if (known!.deletedAt) return 'deleted'
  if (known!.userId === user_id) return 'known'
  log.warn('student.created names another account than the student has; refused', { student_id, service: event.service })
  throw new PermanentError('OWNER_CONFLICT', `student ${student_id} belongs to another account; an event does not change who owns a student`)
}

/**
 * Marks a student deleted, keeping the row as a tombstone (made now if the
 * deletion came before the creation) so that a late `student.created` brings
 * nothing back.
 */
export async function forgetStudent(tx: Tx, table: StudentDirectory, payload: { student_id: string; user_id: string }): Promise<void> {
  await tx
    .insert(table)
    .values({ studentId: payload.student_id, userId: payload.user_id, email: '', deletedAt: sql`now()` })
    .onConflictDoUpdate({ target: table.studentId, set: { deletedAt: sql`coalesce(${table.deletedAt}, now())`, updatedAt: sql`now()` } })
}
