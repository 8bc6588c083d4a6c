import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { Page } from '../../kit/openapi.ts'
import { PageQuery } from '../../kit/paging.ts'
import { StudentView } from '../../../schemas/views/profile.ts'
import { StudentCreate, StudentParams, students, StudentUpdate } from './model.ts'
import { getStudent, listStudents, ownStudent } from './read.ts'

/**
 * `/students`: admins do everything; an encadrant reads the students they supervise; a student
 * reads and edits only their own profile (`/students/me` finds it).
 */
export const studentRoutes = (app: ServiceApi<'profile'>, db: Database) =>
  app
    .post('/students', ({ body, send }) => send('profile.create_student', body), {
      auth: ['admin'],
      body: StudentCreate,
      answers: students.command('profile.create_student', { 409: 'a profile with this email or user already exists', 422: 'a field invalid; `/user_id` an account of another role' }),
      detail: { summary: 'Make a student’s profile (admins)' },
    })
    .get('/students', ({ query }) => listStudents(db, query), { auth: ['admin'], query: PageQuery, answers: students.read(Page(StudentView)), detail: { summary: 'Students, newest first (admins)' } })
    .get('/students/me', ({ user }) => ownStudent(db, user), {
      auth: ['student'],
      answers: students.read(StudentView, { 404: 'the caller’s account has no student profile (yet)' }),
      detail: { summary: 'The caller’s own student profile' },
    })
    .get('/students/:id', ({ params, user }) => getStudent(db, user, params.id), {
      auth: true,
      params: StudentParams,
      answers: students.read(StudentView, { 403: 'another student’s, or a student an encadrant does not supervise' }),
      detail: { summary: 'One student: admins any, a student their own, an encadrant those whose stage they accepted' },
    })
    .patch(
      '/students/:id',
      async ({ params, body, user, send }) => {
        await getStudent(db, user, params.id)
        return send('profile.update_student', { student_id: params.id, fields: body })
      },
      {
        auth: ['admin', 'student'],
        params: StudentParams,
        body: StudentUpdate,
        answers: students.command('profile.update_student', { 403: 'another student’s profile' }),
        detail: { summary: 'Change the fields given (`null` clears one): a student their own, admins any' },
      },
    )
    .delete('/students/:id', ({ params, send }) => send('profile.delete_student', { student_id: params.id }), {
      auth: ['admin'],
      params: StudentParams,
      answers: students.command('profile.delete_student'),
      detail: { summary: 'Delete a student’s profile (admins)' },
    })
