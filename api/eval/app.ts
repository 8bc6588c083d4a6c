import { evalRuntime, evalTokenVersions } from '../../schemas/db/eval.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { evaluationRoutes } from './evaluations/routes.ts'
import { gradeRoutes } from './grades/routes.ts'

export const evalApi: ApiDefinition = {
  service: 'eval',
  tables: evalRuntime,
  accounts: evalTokenVersions,
  routes: (app, { db }) => {
    evaluationRoutes(app, db)
    gradeRoutes(app, db)
    return app
  },
}
