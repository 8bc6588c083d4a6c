import { profileRuntime } from '../../schemas/db/profile.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { StudentCreate, StudentParams } from './students/model.ts'
import { getStudent } from './students/read.ts'

export const profileApi: ApiDefinition = {
  service: 'profile',
  tables: profileRuntime,
  routes: (app, { db }) =>
    app
      .post('/students', ({ body, send }) => send('profile.create_student', body), { auth: ['admin'], body: StudentCreate })
      .get('/students/:id', ({ params, user }) => getStudent(db, user, params.id), { auth: true, params: StudentParams }),
}
