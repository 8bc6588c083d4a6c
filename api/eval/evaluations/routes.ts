import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { EvaluationView } from '../../../schemas/db/eval.ts'
import { Page } from '../../kit/openapi.ts'
import { EvaluationCreate, EvaluationParams, EvaluationQuery, evaluations, EvaluationUpdate } from './model.ts'
import { assertMayEvaluate, getEvaluation, listEvaluations } from './read.ts'

/**
 * `/evaluations`: the stage's encadrant (or an admin) evaluates a completed
 * stage and changes their evaluation until the grade is assigned; everyone
 * reads the evaluations that are theirs to see (`?status=pending`: an
 * encadrant's evaluations to write).
 */
export const evaluationRoutes = (app: ServiceApi<'eval'>, db: Database) =>
  app
    .post(
      '/evaluations',
      async ({ body, user, send }) => {
        await assertMayEvaluate(db, user, body.stage_id)
        return send('eval.create_evaluation', body)
      },
      {
        auth: ['admin', 'encadrant'],
        body: EvaluationCreate,
        answers: evaluations.command('eval.create_evaluation', { 403: "an encadrant who does not supervise the stage", 404: 'no such stage (`/stage_id`)', 409: 'a stage not completed, or already evaluated by the caller' }),
        detail: { summary: "Evaluate a completed stage (its encadrant, or an admin); fills the encadrant's pending evaluation" } },
    )
    .get('/evaluations', ({ query, user }) => listEvaluations(db, user, query), { auth: true, query: EvaluationQuery, answers: evaluations.read(Page(EvaluationView)), detail: { summary: "The caller's evaluations: an encadrant's own, a student's once submitted, all for an admin" } })
    .get('/evaluations/:id', ({ params, user }) => getEvaluation(db, user, params.id), { auth: true, params: EvaluationParams, answers: evaluations.read(EvaluationView), detail: { summary: 'One evaluation, to those who see it in the list (404 to anyone else)' } })
    .patch(
      '/evaluations/:id',
      async ({ params, body, user, send }) => {
        // An encadrant sees only the evaluations they write: what they cannot see they cannot change.
        await getEvaluation(db, user, params.id)
        return send('eval.update_evaluation', { evaluation_id: params.id, fields: body })
      },
      {
        auth: ['admin', 'encadrant'],
        params: EvaluationParams,
        body: EvaluationUpdate,
        answers: evaluations.command('eval.update_evaluation', { 403: 'not its author', 409: 'GRADE_ASSIGNED: the stage is graded' }),
        detail: { summary: 'Change a submitted evaluation (its author, or an admin) until the grade is assigned' } },
    )
