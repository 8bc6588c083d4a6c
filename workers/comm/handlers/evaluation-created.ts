import type { EventHandlers } from '../../kit/define.ts'
import { notify } from '../notify.ts'
import { studentAccount } from '../recipients.ts'

/** Tells the student their stage was evaluated, once per evaluation (`evaluation.created:<evaluation_id>:<user_id>`), linking to the evaluation. */
export const evaluationCreated: NonNullable<EventHandlers['evaluation.created']> = async (event, { tx, emit }) => {
  const { evaluation_id, student_id, score } = event.payload
  const student = await studentAccount(tx, student_id)
  if (!student) return
  await notify(tx, emit, [
    {
      userId: student,
      type: 'evaluation',
      title: 'Your internship was evaluated',
      body: `Your internship received an evaluation: ${score}/20.`,
      related: { type: 'evaluation', id: evaluation_id },
      dedupeKey: `evaluation.created:${evaluation_id}:${student}`,
    },
  ])
}
