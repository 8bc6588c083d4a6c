import { evalStudents } from '../../../schemas/db/eval.ts'
import type { EventHandlers } from '../../kit/define.ts'
import { rememberStudent } from '../../kit/student-directory.ts'

/** Keeps eval's student directory: which account reads the evaluations and the transcript of a student. */
export const studentCreated: NonNullable<EventHandlers['student.created']> = async (event, { tx, log }) => {
  await rememberStudent(tx, evalStudents, event, log)
}
