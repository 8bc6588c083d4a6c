import { coreRuntime, coreTokenVersions } from '../../schemas/db/core.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { TrackingParams } from './tracking/model.ts'
import { getTracking } from './tracking/read.ts'

export const coreApi: ApiDefinition = {
  service: 'core',
  tables: coreRuntime,
  accounts: coreTokenVersions,
  routes: (app, { db }) => app.get('/tracking/:student_id', ({ params, user }) => getTracking(db, user, params.student_id), { auth: true, params: TrackingParams }),
}
