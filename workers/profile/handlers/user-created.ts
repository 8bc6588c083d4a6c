import type { EventFunction } from '../../kit/define.ts'
import { encadrantCreated, insertEncadrant, insertStudent, rememberAccount, studentCreated } from '../profiles.ts'

/**
 * Gives a new account its profile: a student or an encadrant by role, none
 * for an admin. Nothing happens when a profile already exists for the user id
 * or the email (any case), e.g. the admin-created student whose account auth
 * just made: that is how cascades 1 and 2 meet without a loop. An account made
 * for a student or encadrant profile never saw (one published by an external
 * system) gets that profile under its id, so everyone downstream sees one person.
 */
export const userCreated: EventFunction<'user.created'> = async (event, { tx, emit }) => {
  const { user_id, email, role, first_name, last_name, profile_id } = event.payload
  const person = { id: profile_id, userId: user_id, email: email.trim(), firstName: first_name, lastName: last_name }
  // Made by signing up: neither for a profile nor an admin (whose account is verified from the start).
  await rememberAccount(tx, user_id, person.email, role, profile_id === undefined && role !== 'admin')
  if (role === 'student') {
    const student = await insertStudent(tx, person)
    if (student) emit('student.created', studentCreated(student))
  } else if (role === 'encadrant') {
    const encadrant = await insertEncadrant(tx, person)
    if (encadrant) emit('encadrant.created', encadrantCreated(encadrant))
  }
}
