import { conflict } from '../../../core/index.ts'
import type { CommandBatchHandler, CommandPayload } from '../../kit/define.ts'
import { insertStudents, studentCreated } from '../profiles.ts'
import { studentView } from '../views.ts'

/**
 * Creates student profiles, all the commands that arrived together in one
 * statement; 409 for one whose email (any case) or user id already has a
 * profile, also one made earlier in the same batch.
 */
export const createStudent: CommandBatchHandler<CommandPayload<'profile.create_student'>> = {
  async batch(commands, { tx }) {
    const students = await insertStudents(
      tx,
      commands.map(({ command: { payload } }) => ({
        userId: payload.user_id,
        email: payload.email.trim(),
        cin: payload.cin ?? null,
        phone: payload.phone ?? null,
        firstName: payload.first_name ?? null,
        lastName: payload.last_name ?? null,
      })),
    )
    return commands.map(({ emit }, n) => {
      const student = students[n]
      if (!student) return conflict('a profile with this email or user already exists', [{ path: '/email', message: 'already registered' }])
      emit('student.created', studentCreated(student))
      return { status: 201, body: studentView(student) }
    })
  },
}
