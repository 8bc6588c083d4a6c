import { eq } from 'drizzle-orm'
import { encadrants, students } from '../../../schemas/db/profile.ts'
import type { EventFunction } from '../../kit/define.ts'
import { forgetAccount } from '../profiles.ts'

/** Deletes the profile of a deleted account: a student emits `student.deleted`, an encadrant nothing (no such event). */
export const userDeleted: EventFunction<'user.deleted'> = async (event, { tx, emit }) => {
  const { user_id } = event.payload
  await forgetAccount(tx, user_id)
  const [student] = await tx.delete(students).where(eq(students.userId, user_id)).returning({ id: students.id })
  if (student) emit('student.deleted', { student_id: student.id, user_id })
  await tx.delete(encadrants).where(eq(encadrants.userId, user_id))
}
