import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { tracking, TrackingParams, TrackingView } from './model.ts'
import { getTracking } from './read.ts'

/** `/tracking/:student_id`: a student's stages by status, the current one, and each completed stage's grade. */
export const trackingRoutes = (app: ServiceApi<'core'>, db: Database) => app.get('/tracking/:student_id', ({ params, user }) => getTracking(db, user, params.student_id), {
    auth: true,
    params: TrackingParams,
    answers: tracking.read(TrackingView, { 403: 'a student’s other than the caller’s own, or an encadrant’s who does not supervise them' }),
    detail: { summary: "A student's stages by status, the current one and each completed stage's grade" },
  })
