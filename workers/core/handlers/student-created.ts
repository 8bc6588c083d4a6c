import { studentDirectory } from '../../../schemas/db/core.ts'
import type { EventHandlers } from '../../kit/define.ts'

/** Keeps core's student directory: who a student is, without asking profile. */
export const studentCreated: NonNullable<EventHandlers['student.created']> = async (event, { tx }) => {
  const { student_id, user_id, email } = event.payload
  await tx
    .insert(studentDirectory)
    .values({ studentId: student_id, userId: user_id, email })
    .onConflictDoUpdate({ target: studentDirectory.studentId, set: { userId: user_id, email, updatedAt: new Date() } })
}
