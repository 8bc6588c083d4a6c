import { SERVICES } from '../../../core/index.ts'
import { Type } from '@sinclair/typebox'
import { feature } from '../../kit/openapi.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import type { QueueSampler, QueueState, WorkersReached } from './sampler.ts'

/** The queues grouped by service, in SERVICES' order, each with its worker replicas read (null before the first sample); a queue without `tier` is not a retry tier. */
function byService({ queues, workers }: { queues: QueueState[]; workers: Map<string, WorkersReached> }) {
  return SERVICES.map((service) => ({
    service,
    workers: workers.get(service) ?? null,
    queues: queues.filter((q) => q.service === service).map(({ service: _s, ...q }) => q),
  }))
}

const queues = feature('queues', "Each service's queues: depth, consumers, rates and their last minutes (admins)")

const Rate = Type.Union([Type.Number(), Type.Null()], { description: 'messages/s; null when not counted' })
const Queues = Type.Object({
  sampled_every_ms: Type.Integer(),
  services: Type.Array(
    Type.Object({
      service: Type.String(),
      workers: Type.Union([Type.Object({ addresses: Type.Integer({ minimum: 0 }), answered: Type.Integer({ minimum: 0 }) }), Type.Null()], { description: 'the worker replicas whose /metrics answered, of the addresses resolved; null before the first sample' }),
      queues: Type.Array(
        Type.Object({
          name: Type.String(),
          kind: Type.String(),
          tier: Type.Optional(Type.String({ description: "a retry tier's delay: 1s, 2m" })),
          depth: Type.Union([Type.Integer(), Type.Null()]),
          consumers: Type.Union([Type.Integer(), Type.Null()]),
          rate_in: Rate,
          rate_out: Rate,
          history: Type.Array(Type.Object({ at: Type.String({ format: 'date-time' }), depth: Type.Union([Type.Integer(), Type.Null()]), rate_in: Rate, rate_out: Rate })),
        }),
      ),
    }),
  ),
})

/** `/queues`: each service's queues, their depth, consumers and rates, with the last minutes' history (admins). */
export const queueRoutes = (app: ServiceApi<'ops'>, sampler: QueueSampler, everyMs: number) =>
  app.get('/queues', async () => ({ sampled_every_ms: everyMs, services: byService(await sampler.queues()) }), {
    auth: ['admin'],
    answers: queues.read(Queues),
    detail: {
      summary: "Each service's queues (events, commands, retry tiers, dead letters): depth and consumers now, rates in and out (messages/s), and the last 10 minutes",
      description:
        'A queue not declared yet has a null depth. Rates come from the workers’ /metrics between two samples, summed over every replica: each address the worker’s host name resolves to, read on its own; `workers` says how many of those addresses `answered` (a replica reached at two counted once) of the `addresses` resolved. A retry tier’s rates are not counted (null). 503 while the broker is away.',
    },
  })
