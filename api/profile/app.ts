import { profileRuntime, profileTokenVersions } from '../../schemas/db/profile.ts'
import type { ApiOf, RoutesOf } from '../kit/api-type.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { encadrantRoutes } from './encadrants/routes.ts'
import { establishmentRoutes } from './establishments/routes.ts'
import { studentRoutes } from './students/routes.ts'

export const profileApi: ApiDefinition<{}, 'profile'> = {
  service: 'profile',
  tables: profileRuntime,
  accounts: profileTokenVersions,
  // Each feature adds its routes to the one kit app (Elysia's route methods add to the instance they are called on).
  routes: (app, { db }) => {
    studentRoutes(app, db)
    encadrantRoutes(app, db)
    establishmentRoutes(app, db)
    return app
  },
}

/** Every route of the profile API (each of its features' routes, with the kit's), for a typed client. */
export type ProfileApi = ApiOf<RoutesOf<typeof studentRoutes> & RoutesOf<typeof encadrantRoutes> & RoutesOf<typeof establishmentRoutes>>
