import { deleteTopology, parseConfig, silentLogger } from '../core/index.ts'
import { commandBindings } from '../schemas/commands/index.ts'
import type { RuntimeTables } from '../schemas/db/runtime.ts'
import { retryTiers, WorkerConfig } from '../workers/kit/config.ts'
import { Metrics } from '../workers/kit/metrics.ts'
import { createApplyPipeline, type ApplyPipeline } from '../workers/kit/pipeline.ts'
import { openResources, type WorkerResources } from '../workers/kit/resources.ts'
import { connect, testNamespace } from './broker.ts'
import { createTestDatabase, type TestDatabase } from './database.ts'

/** The pieces every worker composes, opened on their own for a test: its database, namespace, resources and pipeline. */
export interface WorkerPieces {
  namespace: string
  database: TestDatabase
  config: WorkerConfig
  resources: WorkerResources
  pipeline: ApplyPipeline
  metrics: Metrics
  /** The test's own broker connection, for publishers and counts. */
  connection: ReturnType<typeof connect>
  /** Stops the pipeline, closes the resources, removes the topology and the database. */
  close(): Promise<void>
}

/** `reach` turns the test database's URL into the one the worker connects to (through a proxy, say). */
export async function openPieces(o: { label: string; service: string; tables: RuntimeTables; env?: Record<string, string>; reach?: (url: string) => string }): Promise<WorkerPieces> {
  const namespace = testNamespace(o.label)
  const database = await createTestDatabase(o.label)
  const config = parseConfig(WorkerConfig, { PORT: '0', DATABASE_URL: o.reach ? o.reach(database.url) : database.url, MEDTRACK_NAMESPACE: namespace, RETRY_TIERS: '200,400', RELAY_INTERVAL_MS: '100', RELAY_AFTER_MS: '200', LOG_LEVEL: 'error', ...o.env })
  const resources = await openResources(o.service, config, silentLogger)
  const metrics = new Metrics()
  const pipeline = createApplyPipeline({ resources, tables: o.tables, config, metrics, log: silentLogger })
  const connection = connect(`${o.label}-test`)
  return {
    namespace,
    database,
    config,
    resources,
    pipeline,
    metrics,
    connection,
    async close() {
      pipeline.stopWaiting()
      await pipeline.idle()
      await pipeline.close()
      await resources.close()
      await deleteTopology(connection, { namespace, services: [o.service], retryTiers: retryTiers(config), commands: commandBindings() })
      await connection.close()
      await database.drop()
    },
  }
}
