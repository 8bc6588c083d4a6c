import type { Database } from '../../../core/index.ts'
import { assertPeriod } from '../../../schemas/domain/period.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { StageView } from '../../../schemas/views/core.ts'
import { MOVE_REFUSALS, StageAccept, StageCancel, StageCreate, StagePage, StageParams, StageQuery, stages } from './model.ts'
import { getStage, listStages } from './read.ts'

/**
 * `/stages`: an admin assigns a student to an offer; each move (accept,
 * start, complete, cancel) is the worker's to allow, by the table of
 * STAGE_TRANSITIONS: 404 for a stage the caller has nothing to do with, 403
 * for a move that is not theirs, 409 naming the status it cannot be made from.
 */
export const stageRoutes = (app: ServiceApi<'core'>, db: Database) =>
  app
    .post(
      '/stages',
      ({ body, send }) => {
        if (body.start_date && body.end_date) assertPeriod(body.start_date, body.end_date)
        return send('core.create_stage', body)
      },
      {
        auth: ['admin'],
        body: StageCreate,
        answers: stages.command('core.create_stage', { 409: 'OFFER_FULL, OFFER_CLOSED or STAGE_OVERLAP', 422: 'a field invalid, or an offer or a student core has not heard of' }),
        detail: { summary: 'Assign a student to an offer (admins): 409 OFFER_FULL, OFFER_CLOSED or STAGE_OVERLAP' },
      },
    )
    .get('/stages', ({ query, user }) => listStages(db, user, query), {
      auth: true,
      query: StageQuery,
      answers: stages.read(StagePage),
      detail: { summary: 'The stages the caller may see, with their history' },
    })
    .get('/stages/:id', ({ params, user }) => getStage(db, user, params.id), {
      auth: true,
      params: StageParams,
      answers: stages.read(StageView),
      detail: { summary: 'One stage with its history (404 to anyone it is not about)' },
    })
    .post('/stages/:id/accept', ({ params, body, send }) => send('core.move_stage', { stage_id: params.id, action: 'accept', ...(body?.encadrant_id ? { encadrant_id: body.encadrant_id } : {}) }), {
      auth: ['admin', 'encadrant'],
      params: StageParams,
      body: StageAccept,
      answers: stages.command('core.move_stage', MOVE_REFUSALS),
      detail: { summary: 'Accept a created stage: an encadrant of its establishment, or an admin naming one' },
    })
    .post('/stages/:id/start', ({ params, send }) => send('core.move_stage', { stage_id: params.id, action: 'start' }), {
      auth: ['admin', 'encadrant'],
      params: StageParams,
      answers: stages.command('core.move_stage', MOVE_REFUSALS),
      detail: { summary: 'Start an accepted stage (its encadrant, admins)' },
    })
    .post('/stages/:id/complete', ({ params, send }) => send('core.move_stage', { stage_id: params.id, action: 'complete' }), {
      auth: ['admin', 'encadrant'],
      params: StageParams,
      answers: stages.command('core.move_stage', MOVE_REFUSALS),
      detail: { summary: 'Complete a started stage (its encadrant, admins)' },
    })
    .post('/stages/:id/cancel', ({ params, body, send }) => send('core.move_stage', { stage_id: params.id, action: 'cancel', reason: body.reason }), {
      auth: true,
      params: StageParams,
      body: StageCancel,
      answers: stages.command('core.move_stage', MOVE_REFUSALS),
      detail: { summary: 'Cancel a stage with its reason, as the transition table allows; its place is free again' },
    })
