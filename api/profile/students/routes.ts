import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { PageQuery } from '../../kit/paging.ts'
import { StudentCreate, StudentParams, StudentUpdate } from './model.ts'
import { getStudent, listStudents, ownStudent } from './read.ts'

/**
 * `/students`: admins do everything; an encadrant reads the students they supervise; a student
 * reads and edits only their own profile (`/students/me` finds it).
 */
export const studentRoutes = (app: ServiceApi<'profile'>, db: Database) =>
  app
    .post('/students', ({ body, send }) => send('profile.create_student', body), { auth: ['admin'], body: StudentCreate })
    .get('/students', ({ query }) => listStudents(db, query), { auth: ['admin'], query: PageQuery })
    .get('/students/me', ({ user }) => ownStudent(db, user), { auth: ['student'] })
    .get('/students/:id', ({ params, user }) => getStudent(db, user, params.id), { auth: true, params: StudentParams })
    .patch(
      '/students/:id',
      async ({ params, body, user, send }) => {
        await getStudent(db, user, params.id)
        return send('profile.update_student', { student_id: params.id, fields: body })
      },
      { auth: ['admin', 'student'], params: StudentParams, body: StudentUpdate },
    )
    .delete('/students/:id', ({ params, send }) => send('profile.delete_student', { student_id: params.id }), { auth: ['admin'], params: StudentParams })
