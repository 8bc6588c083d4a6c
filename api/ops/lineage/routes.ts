import type { Database } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { Type } from '@sinclair/typebox'
import { feature } from '../../kit/openapi.ts'
import { EventParams } from '../events/model.ts'
import type { AppliedOptions } from './consumers.ts'
import { lineage } from './read.ts'

const lineages = feature('lineage', "A cascade's causation tree, from any id of it, with the services that applied each step (admins)")

const Node = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('event'), Type.Literal('command')]),
  type: Type.Union([Type.String(), Type.Null()]),
  producer: Type.Union([Type.String(), Type.Null()]),
  occurred_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  consumers: Type.Array(Type.Object({ service: Type.String(), received_at: Type.String({ format: 'date-time' }) })),
  children: Type.Array(Type.Object({}, { description: 'nodes of the same shape' })),
})

const Lineage = Type.Object({
  id: Type.String(),
  correlation_id: Type.Union([Type.String(), Type.Null()]),
  roots: Type.Array(Node),
  unreachable: Type.Array(Type.String(), { description: 'the services whose workers did not answer in time' }),
  truncated: Type.Optional(Type.Literal(true)),
})

/** `/lineage/:id`: a cascade's causation tree, from any id of it (admins). */
export const lineageRoutes = (app: ServiceApi<'ops'>, db: Database, workers: AppliedOptions) =>
  app.get('/lineage/:id', ({ params }) => lineage(db, params.id, workers), {
    auth: ['admin'],
    params: EventParams,
    answers: lineages.read(Lineage),
    detail: {
      summary: 'The causation tree of a cascade, from an event id, a command id or a correlation id (X-Request-Id), each step with the services that applied it',
      description: 'A cause that is not an audited event is a command. Workers that did not answer in time are named in `unreachable`; their consumers are left out.',
    },
  })
