import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { Page } from '../../kit/openapi.ts'
import { PageQuery } from '../../kit/paging.ts'
import { EncadrantView } from '../../../schemas/views/profile.ts'
import { EncadrantCreate, EncadrantParams, encadrants, EncadrantUpdate } from './model.ts'
import { getEncadrant, listEncadrants, ownEncadrant } from './read.ts'

/** `/encadrants`: admins do everything; an encadrant reads and edits only their own profile (`/encadrants/me` finds it). */
export const encadrantRoutes = (app: ServiceApi<'profile'>, db: Database) =>
  app
    .post('/encadrants', ({ body, send }) => send('profile.create_encadrant', body), {
      auth: ['admin'],
      body: EncadrantCreate,
      answers: encadrants.command('profile.create_encadrant', { 409: 'a profile with this email or user already exists', 422: 'a field invalid; `/user_id` an account of another role; `/establishment_id` unknown' }),
      detail: { summary: 'Make an encadrant’s profile (admins)' },
    })
    .get('/encadrants', ({ query }) => listEncadrants(db, query), { auth: ['admin'], query: PageQuery, answers: encadrants.read(Page(EncadrantView)), detail: { summary: 'Encadrants, newest first (admins)' } })
    .get('/encadrants/me', ({ user }) => ownEncadrant(db, user), {
      auth: ['encadrant'],
      answers: encadrants.read(EncadrantView, { 404: 'the caller’s account has no encadrant profile (yet)' }),
      detail: { summary: 'The caller’s own encadrant profile' },
    })
    .get('/encadrants/:id', ({ params, user }) => getEncadrant(db, user, params.id), {
      auth: ['admin', 'encadrant'],
      params: EncadrantParams,
      answers: encadrants.read(EncadrantView, { 403: 'another encadrant’s profile' }),
      detail: { summary: 'One encadrant: admins any, an encadrant their own' },
    })
    .patch(
      '/encadrants/:id',
      async ({ params, body, user, send }) => {
        await getEncadrant(db, user, params.id)
        return send('profile.update_encadrant', { encadrant_id: params.id, fields: body })
      },
      {
        auth: ['admin', 'encadrant'],
        params: EncadrantParams,
        body: EncadrantUpdate,
        answers: encadrants.command('profile.update_encadrant', { 403: 'another encadrant’s profile, or `/establishment_id` set by someone other than an admin', 422: 'a field invalid; `/establishment_id` unknown' }),
        detail: { summary: 'Change the fields given (`null` clears one): an encadrant their own (not their establishment), admins any' },
      },
    )
    .delete('/encadrants/:id', ({ params, send }) => send('profile.delete_encadrant', { encadrant_id: params.id }), {
      auth: ['admin'],
      params: EncadrantParams,
      answers: encadrants.command('profile.delete_encadrant'),
      detail: { summary: 'Delete an encadrant’s profile (admins)' },
    })
