import { Value } from '@sinclair/typebox/value'
import { eq } from 'drizzle-orm'
import { TransientError } from '../../../core/index.ts'
import { studentDirectory } from '../../../schemas/db/core.ts'
import { Email } from '../../../schemas/events/fields.ts'
import type { EventHandlers } from '../../kit/define.ts'

/**
 * Keeps the directory's email when the event carries one (an extra payload
 * field; most updates do not). An email for a student core has not met yet is
 * retried: their `student.created` is still on its way.
 */
export const studentUpdated: NonNullable<EventHandlers['student.updated']> = async (event, { tx }) => {
  const { student_id } = event.payload
  const email = (event.payload as Record<string, unknown>).email
  if (!Value.Check(Email, email)) return
  const updated = await tx.update(studentDirectory).set({ email, updatedAt: new Date() }).where(eq(studentDirectory.studentId, student_id)).returning({ studentId: studentDirectory.studentId })
  if (updated.length === 0) throw new TransientError('STUDENT_UNKNOWN', `student ${student_id} is not in the directory yet`)
}
