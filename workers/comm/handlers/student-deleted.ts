import { commStudents } from '../../../schemas/db/comm.ts'
import type { EventHandlers } from '../../kit/define.ts'
import { forgetStudent } from '../../kit/student-directory.ts'

/** Marks the student's account forgotten (a tombstone); their notifications stay with the user they were for. */
export const studentDeleted: NonNullable<EventHandlers['student.deleted']> = async (event, { tx }) => {
  await forgetStudent(tx, commStudents, event.payload)
}
