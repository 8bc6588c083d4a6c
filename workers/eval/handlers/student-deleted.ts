import { evalStudents } from '../../../schemas/db/eval.ts'
import type { EventHandlers } from '../../kit/define.ts'
import { forgetStudent } from '../../kit/student-directory.ts'

/** Marks the student deleted (a tombstone): their account no longer reads their evaluations; the evaluations and grades stay as a record. */
export const studentDeleted: NonNullable<EventHandlers['student.deleted']> = async (event, { tx }) => {
  await forgetStudent(tx, evalStudents, event.payload)
}
