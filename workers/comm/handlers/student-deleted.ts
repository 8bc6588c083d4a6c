import { eq } from 'drizzle-orm'
import { commStudents } from '../../../schemas/db/comm.ts'
import type { EventHandlers } from '../../kit/define.ts'

/** Forgets the student's account; their notifications stay with the user they were for. */
export const studentDeleted: NonNullable<EventHandlers['student.deleted']> = async (event, { tx }) => {
  await tx.delete(commStudents).where(eq(commStudents.studentId, event.payload.student_id))
}
