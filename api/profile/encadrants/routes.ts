import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { PageQuery } from '../../kit/paging.ts'
import { EncadrantCreate, EncadrantParams, EncadrantUpdate } from './model.ts'
import { getEncadrant, listEncadrants, ownEncadrant } from './read.ts'

/** `/encadrants`: admins do everything; an encadrant reads and edits only their own profile (`/encadrants/me` finds it). */
export const encadrantRoutes = (app: ServiceApi<'profile'>, db: Database) =>
  app
    .post('/encadrants', ({ body, send }) => send('profile.create_encadrant', body), { auth: ['admin'], body: EncadrantCreate })
    .get('/encadrants', ({ query }) => listEncadrants(db, query), { auth: ['admin'], query: PageQuery })
    .get('/encadrants/me', ({ user }) => ownEncadrant(db, user), { auth: ['encadrant'] })
    .get('/encadrants/:id', ({ params, user }) => getEncadrant(db, user, params.id), { auth: ['admin', 'encadrant'], params: EncadrantParams })
    .patch(
      '/encadrants/:id',
      async ({ params, body, user, send }) => {
        await getEncadrant(db, user, params.id)
        return send('profile.update_encadrant', { encadrant_id: params.id, fields: body })
      },
      { auth: ['admin', 'encadrant'], params: EncadrantParams, body: EncadrantUpdate },
    )
    .delete('/encadrants/:id', ({ params, send }) => send('profile.delete_encadrant', { encadrant_id: params.id }), { auth: ['admin'], params: EncadrantParams })
