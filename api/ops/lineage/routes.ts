import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { EventParams } from '../events/model.ts'
import type { AppliedOptions } from './consumers.ts'
import { lineage } from './read.ts'

/** `/lineage/:id`: a cascade's causation tree, from any id of it (admins). */
export const lineageRoutes = (app: ServiceApi<'ops'>, db: Database, workers: AppliedOptions) =>
  app.get('/lineage/:id', ({ params }) => lineage(db, params.id, workers), {
    auth: ['admin'],
    params: EventParams,
    detail: {
      summary: 'The causation tree of a cascade, from an event id, a command id or a correlation id (X-Request-Id), each step with the services that applied it',
      description: 'A cause that is not an audited event is a command. Workers that did not answer in time are named in `unreachable`; their consumers are left out.',
    },
  })
