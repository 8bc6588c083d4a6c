import { commStudents } from '../../../schemas/db/comm.ts'
import type { EventHandlers } from '../../kit/define.ts'
import { rememberStudent } from '../../kit/student-directory.ts'
import { notify } from '../notify.ts'

/** The welcome notification's title and body, greeting the student by first name when known. */
function welcomeText(firstName?: string | null): { title: string; body: string } {
  const name = firstName?.trim()
  return {
    title: name ? `Welcome to MedTrack, ${name}!` : 'Welcome to MedTrack!',
    body: `${name ? `Hello ${name}, your` : 'Your'} student account is ready. You can follow your internships, evaluations and messages here.`,
  }
}

/**
 * Remembers the student's account (student_id → user_id) and welcomes them,
 * once per student: the notification's `dedupe_key` is `welcome:<student_id>`,
 * so another `student.created` for the same student creates and emits nothing;
 * a student already deleted is not welcomed, and an event naming another
 * account than the student's is refused.
 */
export const studentCreated: NonNullable<EventHandlers['student.created']> = async (event, { tx, emit, log }) => {
  if ((await rememberStudent(tx, commStudents, event, log)) === 'deleted') return
  const { student_id, user_id, first_name } = event.payload

  await notify(tx, emit, [{ userId: user_id, type: 'welcome', ...welcomeText(first_name), dedupeKey: `welcome:${student_id}` }])
}
