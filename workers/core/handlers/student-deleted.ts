import { eq } from 'drizzle-orm'
import { studentDirectory } from '../../../schemas/db/core.ts'
import type { EventHandlers } from '../../kit/define.ts'

/** Removes the student from the directory; their stage tracking is kept as a record. */
export const studentDeleted: NonNullable<EventHandlers['student.deleted']> = async (event, { tx }) => {
  await tx.delete(studentDirectory).where(eq(studentDirectory.studentId, event.payload.student_id))
}
