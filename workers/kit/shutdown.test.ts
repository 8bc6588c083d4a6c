import { afterAll, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { createLogger, createPublisher, deleteTopology, parseConfig, readinessProblems, silentLogger } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { evalRuntime } from '../../schemas/db/eval.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { connect, messageCount, testNamespace, waitFor } from '../../test/broker.ts'
import { createTestDatabase } from '../../test/database.ts'
import { WorkerConfig } from './config.ts'
import { consumeEvents } from './event-consumer.ts'
import { serveWorkerHttp } from './http.ts'
import { startHousekeeping } from './loops.ts'
import { Metrics } from './metrics.ts'
import { createApplyPipeline } from './pipeline.ts'
import { openResources } from './resources.ts'
import { shutdown } from './shutdown.ts'

const connection = connect('shutdown-test')
afterAll(() => connection.close())

test('with messages in hand: they finish and are acked, the rest stay queued, then everything closes, in order', async () => {
  const namespace = testNamespace('shutdown')
  const database = await createTestDatabase('shutdown')
  await database.db.execute(sql`create table eval.shutdown_ledger (event_id text primary key)`)
  const config = parseConfig(WorkerConfig, { DATABASE_URL: database.url, MEDTRACK_NAMESPACE: namespace, RETRY_TIERS: '200,400', PREFETCH: '5', LOG_LEVEL: 'info' })
  const lines: string[] = []
  const log = createLogger({ service: 'eval-worker', sink: (line) => lines.push(JSON.parse(line).msg) })
  const resources = await openResources('eval', config, silentLogger)
  const pipeline = createApplyPipeline({ resources, tables: evalRuntime, config, metrics: new Metrics(), log: silentLogger })
  const consumer = await consumeEvents(
    {
      'stage.completed': async (event, { tx }) => {
        await new Promise((r) => setTimeout(r, 300))
        await tx.execute(sql`insert into eval.shutdown_ledger (event_id) values (${event.event_id})`)
      },
    },
    { resources, pipeline, config, log: silentLogger },
  )
  await consumer.ready
  const http = serveWorkerHttp({ port: 0, hostname: '127.0.0.1', service: 'eval', metrics: new Metrics(), ready: () => readinessProblems(resources.db, () => resources.connection.ready), applied: async () => [] })
  const housekeeping = startHousekeeping(pipeline, config, silentLogger)

  const publisher = createPublisher({ connection, catalogue, service: 'core', namespace })
  await Promise.all(Array.from({ length: 20 }, () => publisher.publish('stage.completed', { stage_id: crypto.randomUUID(), completion_date: '2026-12-01' })))
  await publisher.close()
  const applied = async () => ((await database.db.execute(sql`select count(*)::int as n from eval.shutdown_ledger`)) as unknown as { n: number }[])[0]!.n
  await new Promise((r) => setTimeout(r, 100))

  await shutdown({ log, resources, pipeline, intake: [() => consumer.close()], housekeeping, http })
  expect(lines).toEqual(['worker stopping', 'worker stopped'])
  const done = await applied()
  expect(done).toBeGreaterThan(0)
  expect(done).toBeLessThan(20)
  // What was applied was acked: only the rest is back in the queue.
  await waitFor(async () => (await messageCount(connection, resources.names.eventQueue('eval'))) === 20 - done, 5_000, `${20 - done} messages ready`)
  expect(resources.connection.ready).toBe(false)
  expect(await fetch(`http://127.0.0.1:${http.port}/health`).catch(() => 'refused')).toBe('refused')

  await deleteTopology(connection, { namespace, services: ['eval'], retryTiers: [200, 400], commands: commandBindings() })
  await database.drop()
})
