import { eq } from 'drizzle-orm'
import { notFound } from '../../../core/index.ts'
import { students } from '../../../schemas/db/profile.ts'
import type { CommandHandlers } from '../../kit/define.ts'

/** Deletes the student and emits `student.deleted`; 404 when there is none. */
export const deleteStudent: NonNullable<CommandHandlers['profile.delete_student']> = async ({ payload }, { tx, emit }) => {
  const [row] = await tx.delete(students).where(eq(students.id, payload.student_id)).returning()
  if (!row) throw notFound('student')
  emit('student.deleted', { student_id: row.id, user_id: row.userId })
  return { status: 200, body: { id: row.id, deleted: true } }
}
