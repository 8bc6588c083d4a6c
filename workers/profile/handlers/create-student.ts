import type { CommandBatchOf } from '../../kit/define.ts'
import { insertStudents, studentCreated } from '../profiles.ts'
import { refusals } from '../refusals.ts'
import { releaseSignUps } from '../sign-ups.ts'
import { studentView } from '../../../schemas/views/profile.ts'

/**
 * Creates student profiles, all the commands that arrived together in one
 * statement; 409 naming the field for one whose email (any case) or user id
 * already has a profile, also one made earlier in the same batch, or is that
 * of an account that is not a student's. An address only an unverified
 * sign-up holds is taken over (`releaseSignUps`).
 */
export const createStudent: CommandBatchOf<'profile.create_student'> = {
  async batch(commands, { tx }) {
    const asked = commands.map(({ command: { payload } }) => ({
      userId: payload.user_id,
      email: payload.email.trim(),
      cin: payload.cin ?? null,
      phone: payload.phone ?? null,
      firstName: payload.first_name ?? null,
      lastName: payload.last_name ?? null,
    }))
    const released = await releaseSignUps(tx, asked.map((a) => a.email))
    const students = await insertStudents(tx, asked)
    const refused = asked.flatMap((_, n) => (students[n] ? [] : [n]))
    const why = refused.length > 0 ? await refusals(tx, 'student', refused.map((n) => asked[n]!)) : []
    return commands.map(({ emit }, n) => {
      const student = students[n]
      if (!student) return why[refused.indexOf(n)]!
      const signUp = released.get(student.email.toLowerCase())
      if (signUp) emit('student.deleted', signUp)
      emit('student.created', studentCreated(student))
      return { status: 201, body: studentView(student) }
    })
  },
}
