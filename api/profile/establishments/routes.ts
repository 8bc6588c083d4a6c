import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { Page } from '../../kit/openapi.ts'
import { PageQuery } from '../../kit/paging.ts'
import { EstablishmentView } from '../../../schemas/views/profile.ts'
import { EstablishmentCreate, EstablishmentParams, establishments, EstablishmentUpdate } from './model.ts'
import { getEstablishment, listEstablishments } from './read.ts'

/** `/establishments`: every signed-in user lists and reads them; only admins change them. */
export const establishmentRoutes = (app: ServiceApi<'profile'>, db: Database) =>
  app
    .post('/establishments', ({ body, send }) => send('profile.create_establishment', body), {
      auth: ['admin'],
      body: EstablishmentCreate,
      answers: establishments.command('profile.create_establishment'),
      detail: { summary: 'Add an establishment (admins)' },
    })
    .get('/establishments', ({ query }) => listEstablishments(db, query), { auth: true, query: PageQuery, answers: establishments.read(Page(EstablishmentView)), detail: { summary: 'Establishments by name, then city' } })
    .get('/establishments/:id', ({ params }) => getEstablishment(db, params.id), { auth: true, params: EstablishmentParams, answers: establishments.read(EstablishmentView), detail: { summary: 'One establishment' } })
    .patch(
      '/establishments/:id',
      ({ params, body, send }) => send('profile.update_establishment', { establishment_id: params.id, fields: body }),
      {
        auth: ['admin'],
        params: EstablishmentParams,
        body: EstablishmentUpdate,
        answers: establishments.command('profile.update_establishment'),
        detail: { summary: 'Change the fields given (`null` clears the address or the phone; admins)' },
      },
    )
    .delete('/establishments/:id', ({ params, send }) => send('profile.delete_establishment', { establishment_id: params.id }), {
      auth: ['admin'],
      params: EstablishmentParams,
      answers: establishments.command('profile.delete_establishment', { 409: 'encadrants still belong to it: move them first' }),
      detail: { summary: 'Delete an establishment no encadrant belongs to (admins)' },
    })
