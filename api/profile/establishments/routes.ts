import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { PageQuery } from '../../kit/paging.ts'
import { EstablishmentCreate, EstablishmentParams, EstablishmentUpdate } from './model.ts'
import { getEstablishment, listEstablishments } from './read.ts'

/** `/establishments`: every signed-in user lists and reads them; only admins change them. */
export const establishmentRoutes = (app: ServiceApi<'profile'>, db: Database) =>
  app
    .post('/establishments', ({ body, send }) => send('profile.create_establishment', body), { auth: ['admin'], body: EstablishmentCreate })
    .get('/establishments', ({ query }) => listEstablishments(db, query), { auth: true, query: PageQuery })
    .get('/establishments/:id', ({ params }) => getEstablishment(db, params.id), { auth: true, params: EstablishmentParams })
    .patch(
      '/establishments/:id',
      ({ params, body, send }) => send('profile.update_establishment', { establishment_id: params.id, fields: body }),
      { auth: ['admin'], params: EstablishmentParams, body: EstablishmentUpdate },
    )
    .delete('/establishments/:id', ({ params, send }) => send('profile.delete_establishment', { establishment_id: params.id }), { auth: ['admin'], params: EstablishmentParams })
