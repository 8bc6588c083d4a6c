import { eq } from 'drizzle-orm'
import { notFound } from '../../../core/index.ts'
import { students } from '../../../schemas/db/profile.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { assertOwnProfile, changes, type Editable } from '../changes.ts'
import { studentView, type StudentRow } from '../../../schemas/views/profile.ts'

const EDITABLE: Editable<StudentRow> = { cin: 'cin', phone: 'phone', first_name: 'firstName', last_name: 'lastName' }

/** Applies a partial update; `student.updated` names the fields that changed, and nothing is emitted when none did. */
export const updateStudent: NonNullable<CommandHandlers['profile.update_student']> = async ({ payload, actor }, { tx, emit }) => {
  const [row] = await tx.select().from(students).where(eq(students.id, payload.student_id)).for('update')
  if (!row) throw notFound('student')
  assertOwnProfile(actor, row.userId)
  const { set, names } = changes(row, payload.fields, EDITABLE)
  if (names.length === 0) return { status: 200, body: studentView(row) }
  const [updated] = await tx.update(students).set({ ...set, updatedAt: new Date() }).where(eq(students.id, row.id)).returning()
  emit('student.updated', { student_id: row.id, updated_fields: names })
  return { status: 200, body: studentView(updated!) }
}
