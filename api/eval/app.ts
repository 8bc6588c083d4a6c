import { evalRuntime, evalTokenVersions } from '../../schemas/db/eval.ts'
import type { ApiOf, RoutesOf } from '../kit/api-type.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { evaluationRoutes } from './evaluations/routes.ts'
import { gradeRoutes } from './grades/routes.ts'

export const evalApi: ApiDefinition<{}, 'eval'> = {
  service: 'eval',
  tables: evalRuntime,
  accounts: evalTokenVersions,
  routes: (app, { db }) => {
    evaluationRoutes(app, db)
    gradeRoutes(app, db)
    return app
  },
}

/** Every route of the eval API (each of its features' routes, with the kit's), for a typed client. */
export type EvalApi = ApiOf<RoutesOf<typeof evaluationRoutes> & RoutesOf<typeof gradeRoutes>>
