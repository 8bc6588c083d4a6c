import { studentDirectory } from '../../../schemas/db/core.ts'
import type { EventHandlers } from '../../kit/define.ts'
import { forgetStudent } from '../../kit/student-directory.ts'

/** Marks the student deleted in the directory (a tombstone); their stage tracking is kept as a record. */
export const studentDeleted: NonNullable<EventHandlers['student.deleted']> = async (event, { tx }) => {
  await forgetStudent(tx, studentDirectory, event.payload)
}
