import { Elysia } from 'elysia'
import type { Connection } from 'rabbitmq-client'
import { SERVICES } from '../../core/index.ts'
import { opsRuntime, opsTokenVersions } from '../../schemas/db/ops.ts'
import type { ServiceApiOptions } from '../kit/service-api.ts'
import type { ApiOf, RoutesOf } from '../kit/api-type.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { consoleRoutes } from './console/routes.ts'
import { deadLetterRoutes } from './dead-letters/routes.ts'
import { eventRoutes } from './events/routes.ts'
import { lineageRoutes } from './lineage/routes.ts'
import { queuesOf } from './queues/depths.ts'
import { queueRoutes } from './queues/routes.ts'
import { createQueueSampler, type QueueSampler } from './queues/sampler.ts'
import { OpsApiSettings, retryTiersOf, workerUrlsOf } from './settings.ts'

/** What one running ops API holds beside its routes: the broker it was given, and its queue sampler. */
interface OpsRuntime {
  broker?: Connection
  sampler: QueueSampler
}

/** One runtime per running API (the deps of one start), shared by its routes and its background. */
const runtimes = new WeakMap<ServiceApiOptions, OpsRuntime>()
function runtimeOf(deps: ServiceApiOptions, settings: OpsApiSettings): OpsRuntime {
  const known = runtimes.get(deps)
  if (known) return known
  const runtime: OpsRuntime = {
    sampler: createQueueSampler({
      broker: () => runtime.broker,
      queues: queuesOf(deps.config.MEDTRACK_NAMESPACE, SERVICES, retryTiersOf(settings)),
      workers: workerUrlsOf(settings),
      timeoutMs: settings.WORKER_TIMEOUT_MS,
      everyMs: settings.OPS_SAMPLE_MS,
      log: deps.log,
    }),
  }
  runtimes.set(deps, runtime)
  return runtime
}

/**
 * The operators' API, admins only: the audit trail searched, a cascade's
 * lineage, the queues with their rates, and the dead letters, replayed or
 * purged through the ops worker.
 */
export const opsApi = {
  service: 'ops',
  tables: opsRuntime,
  accounts: opsTokenVersions,
  settings: OpsApiSettings,
  routes: (app, deps, settings) => {
    const runtime = runtimeOf(deps, settings)
    eventRoutes(app, deps.db)
    lineageRoutes(app, deps.db, { workers: workerUrlsOf(settings), timeoutMs: settings.WORKER_TIMEOUT_MS })
    queueRoutes(app, runtime.sampler, settings.OPS_SAMPLE_MS)
    // The console's page, at /ops/ beside /ops/api: mounted at the server's root, outside the API's prefix.
    return new Elysia().use(consoleRoutes()).use(deadLetterRoutes(app, () => runtime.broker, deps.config.MEDTRACK_NAMESPACE))
  },
  async background(deps, broker, settings) {
    const runtime = runtimeOf(deps, settings)
    runtime.broker = broker
    runtime.sampler.start()
    return { stop: () => runtime.sampler.stop() }
  },
} satisfies ApiDefinition<OpsApiSettings, 'ops'>

/** Every route of the ops API (its console's pages too), for a typed client. */
export type OpsApi = ApiOf<RoutesOf<typeof eventRoutes> & RoutesOf<typeof lineageRoutes> & RoutesOf<typeof queueRoutes> & RoutesOf<typeof opsApi.routes>>
