import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { assertPeriod } from '../../../schemas/domain/period.ts'
import { OfferCreate, OfferParams, OfferQuery, OfferUpdate } from './model.ts'
import { getOffer, listOffers } from './read.ts'

/** `/offers`: admins, and encadrants for their own establishment (checked by the worker), post and change them; everyone signed in reads them. */
export const offerRoutes = (app: ServiceApi, db: Database) =>
  app
    .post(
      '/offers',
      ({ body, send }) => {
        assertPeriod(body.start_date, body.end_date)
        return send('core.create_offer', body)
      },
      { auth: ['admin', 'encadrant'], body: OfferCreate },
    )
    .get('/offers', ({ query }) => listOffers(db, query), { auth: true, query: OfferQuery })
    .get('/offers/:id', ({ params }) => getOffer(db, params.id), { auth: true, params: OfferParams })
    .patch(
      '/offers/:id',
      ({ params, body, send }) => {
        if (body.start_date && body.end_date) assertPeriod(body.start_date, body.end_date)
        return send('core.update_offer', { offer_id: params.id, fields: body })
      },
      { auth: ['admin', 'encadrant'], params: OfferParams, body: OfferUpdate },
    )
