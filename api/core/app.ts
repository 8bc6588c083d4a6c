import { coreRuntime, coreTokenVersions } from '../../schemas/db/core.ts'
import type { ApiOf, RoutesOf } from '../kit/api-type.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { offerRoutes } from './offers/routes.ts'
import { stageRoutes } from './stages/routes.ts'
import { trackingRoutes } from './tracking/routes.ts'

export const coreApi: ApiDefinition<{}, 'core'> = {
  service: 'core',
  tables: coreRuntime,
  accounts: coreTokenVersions,
  // Each feature adds its routes to the one kit app (Elysia's route methods add to the instance they are called on).
  routes: (app, { db }) => {
    offerRoutes(app, db)
    stageRoutes(app, db)
    trackingRoutes(app, db)
    return app
  },
}

/** Every route of the core API (each of its features' routes, with the kit's), for a typed client. */
export type CoreApi = ApiOf<RoutesOf<typeof offerRoutes> & RoutesOf<typeof stageRoutes> & RoutesOf<typeof trackingRoutes>>
