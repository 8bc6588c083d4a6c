import type { EventHandlers } from '../../kit/define.ts'
import { notify } from '../notify.ts'
import { studentAccount } from '../recipients.ts'

/** Tells the student their stage's final grade, once per stage (`grade.assigned:<stage_id>:<user_id>`), linking to the stage, and mails it. */
export const gradeAssigned: NonNullable<EventHandlers['grade.assigned']> = async (event, { tx, emit, log }) => {
  const { stage_id, student_id, final_grade } = event.payload
  const student = await studentAccount(tx, student_id)
  if (!student) return
  await notify(tx, emit, [
    {
      userId: student,
      type: 'grade',
      title: `Your final grade: ${final_grade}/20`,
      body: `Your internship's final grade is ${final_grade}/20.`,
      related: { type: 'stage', id: stage_id },
      dedupeKey: `grade.assigned:${stage_id}:${student}`,
      mail: [`Your internship's final grade is ${final_grade}/20.`],
    },
  ], log)
}
