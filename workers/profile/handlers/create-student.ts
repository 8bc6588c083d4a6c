import { conflict } from '../../../core/index.ts'
import { students } from '../../../schemas/db/profile.ts'
import type { CommandHandlers } from '../../kit/define.ts'

export type StudentRow = typeof students.$inferSelect

/** The student as the API shows it. */
export function studentView(s: StudentRow) {
  return {
    id: s.id,
    user_id: s.userId,
    email: s.email,
    cin: s.cin,
    phone: s.phone,
    first_name: s.firstName,
    last_name: s.lastName,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  }
}

/** Creates a student profile; the email (any case) and user id are unique. */
export const createStudent: NonNullable<CommandHandlers['profile.create_student']> = async ({ payload }, { tx, emit }) => {
  const email = payload.email.trim()
  // One statement: the unique indexes on lower(email) and user_id say whether the student exists.
  const [row] = await tx
    .insert(students)
    .values({
      id: crypto.randomUUID(),
      userId: payload.user_id ?? crypto.randomUUID(),
      email,
      cin: payload.cin ?? null,
      phone: payload.phone ?? null,
      firstName: payload.first_name ?? null,
      lastName: payload.last_name ?? null,
    })
    .onConflictDoNothing()
    .returning()
  if (!row) throw conflict('a student with this email or user already exists', [{ path: '/email', message: 'already registered' }])
  const student = row!
  emit('student.created', {
    student_id: student.id,
    user_id: student.userId,
    email: student.email,
    ...(student.cin ? { cin: student.cin } : {}),
    ...(student.phone ? { phone: student.phone } : {}),
    ...(student.firstName ? { first_name: student.firstName } : {}),
    ...(student.lastName ? { last_name: student.lastName } : {}),
  })
  return { status: 201, body: studentView(student) }
}
