import { conflict } from '../../../core/index.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { insertStudent, studentCreated } from '../profiles.ts'
import { studentView } from '../views.ts'

/** Creates a student profile; 409 when a profile already exists for the email (any case) or user id. */
export const createStudent: NonNullable<CommandHandlers['profile.create_student']> = async ({ payload }, { tx, emit }) => {
  const email = payload.email.trim()
  const student = await insertStudent(tx, {
    userId: payload.user_id,
    email,
    cin: payload.cin ?? null,
    phone: payload.phone ?? null,
    firstName: payload.first_name ?? null,
    lastName: payload.last_name ?? null,
  })
  if (!student) throw conflict('a profile with this email or user already exists', [{ path: '/email', message: 'already registered' }])
  emit('student.created', studentCreated(student))
  return { status: 201, body: studentView(student) }
}
