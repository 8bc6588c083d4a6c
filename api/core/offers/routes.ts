import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { assertPeriod } from '../../../schemas/domain/period.ts'
import { OfferView } from '../../../schemas/views/core.ts'
import { OfferCreate, OfferPage, OfferParams, OfferQuery, offers, OfferUpdate } from './model.ts'
import { getOffer, listOffers } from './read.ts'

/** `/offers`: admins, and encadrants for their own establishment (checked by the worker), post and change them; everyone signed in reads them. */
export const offerRoutes = (app: ServiceApi<'core'>, db: Database) =>
  app
    .post(
      '/offers',
      ({ body, send }) => {
        assertPeriod(body.start_date, body.end_date)
        return send('core.create_offer', body)
      },
      {
        auth: ['admin', 'encadrant'],
        body: OfferCreate,
        answers: offers.command('core.create_offer', { 403: 'an encadrant posting for another establishment', 422: 'a field invalid; `/establishment_id` core has not heard of; `/end_date` before the start' }),
        detail: { summary: 'Post an offer: places at an establishment for a period (admins; an encadrant for their own establishment)' } },
    )
    .get('/offers', ({ query }) => listOffers(db, query), {
      auth: true,
      query: OfferQuery,
      answers: offers.read(OfferPage),
      detail: { summary: 'Offers, newest first, with their places taken and left' },
    })
    .get('/offers/:id', ({ params }) => getOffer(db, params.id), {
      auth: true,
      params: OfferParams,
      answers: offers.read(OfferView),
      detail: { summary: 'One offer, with its places taken and left' },
    })
    .patch(
      '/offers/:id',
      ({ params, body, send }) => {
        if (body.start_date && body.end_date) assertPeriod(body.start_date, body.end_date)
        return send('core.update_offer', { offer_id: params.id, fields: body })
      },
      {
        auth: ['admin', 'encadrant'],
        params: OfferParams,
        body: OfferUpdate,
        answers: offers.command('core.update_offer', { 403: 'an encadrant changing another establishment’s offer', 409: 'CAPACITY_BELOW_TAKEN: a capacity below the places taken' }),
        detail: { summary: 'Change an offer, open or close it (never below the places taken)' },
      },
    )
