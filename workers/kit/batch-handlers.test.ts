import { afterAll, beforeAll, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { createPublisher, deleteTopology, listDeadLetters, parseConfig, PermanentError } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { evalRuntime } from '../../schemas/db/eval.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { connect, testNamespace, waitFor } from '../../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import { WorkerConfig } from './config.ts'
import { defineWorker } from './define.ts'
import { startWorker, type RunningWorker } from './run.ts'

const namespace = testNamespace('batched')
const connection = connect()
const TIERS = [200, 400]
const poison = crypto.randomUUID()
let database: TestDatabase
let worker: RunningWorker
const publisher = createPublisher({ connection, catalogue, service: 'core', namespace })
/** How many events each call of the batch handler was given. */
const calls: number[] = []

/** Records every completed stage with one statement per call; a call holding the poison stage fails as a whole. */
const batchedWorker = defineWorker({
  service: 'eval',
  tables: evalRuntime,
  events: {
    'stage.completed': {
      async batch(events, { tx }) {
        calls.push(events.length)
        if (events.some(({ event }) => event.payload.stage_id === poison)) throw new PermanentError('POISON', 'this stage cannot be recorded')
        const ids = events.map(({ event }) => event.event_id)
        await tx.execute(sql`insert into eval.batched_ledger (event_id) select unnest(${sql.param(ids)}::text[])`)
      },
    },
  },
})

const ledger = async () => ((await database.db.execute(sql`select event_id from eval.batched_ledger`)) as unknown as { event_id: string }[]).map((r) => r.event_id)

beforeAll(async () => {
  database = await createTestDatabase('batched')
  await database.db.execute(sql`create table eval.batched_ledger (n bigserial primary key, event_id text not null)`)
  const config = parseConfig(WorkerConfig, { PORT: '0', DATABASE_URL: database.url, MEDTRACK_NAMESPACE: namespace, RETRY_TIERS: TIERS.join(','), LOG_LEVEL: 'error' })
  worker = await startWorker(batchedWorker, config)
})

afterAll(async () => {
  await worker.close()
  await publisher.close()
  await deleteTopology(connection, { namespace, services: ['eval'], retryTiers: TIERS, commands: commandBindings() })
  await connection.close()
  await database.drop()
})

const completed = (stageId: string = crypto.randomUUID(), eventId?: string) => publisher.publish('stage.completed', { stage_id: stageId, completion_date: '2026-11-27' }, eventId ? { eventId } : {})

test('a burst of events goes to the batch handler many at a time; each is applied once, a redelivered one not again', async () => {
  const sent = await Promise.all(Array.from({ length: 40 }, () => completed()))
  await Promise.all(sent.slice(0, 5).map((e) => completed((e.payload as { stage_id: string }).stage_id, e.event_id)))
  const ids = sent.map((e) => e.event_id)
  await waitFor(async () => (await ledger()).filter((id) => ids.includes(id)).length === 40, 10_000, 'forty events recorded')
  await waitFor(async () => /outcome="handled"\} 45/.test(await worker.metrics.render()), 5_000, 'the five again handled')
  expect((await ledger()).filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort())
  expect(Math.max(...calls)).toBeGreaterThan(1)
})

test('a call that fails is made again one event at a time: the bad event is set aside, the others applied once', async () => {
  calls.length = 0
  const sent = await Promise.all([completed(), completed(), completed(poison), completed(), completed()])
  const good = sent.filter((e) => (e.payload as { stage_id: string }).stage_id !== poison).map((e) => e.event_id)
  await waitFor(async () => (await listDeadLetters({ connection, service: 'eval', namespace })).length === 1, 10_000, 'the poison event dead-lettered')
  await waitFor(async () => (await ledger()).filter((id) => good.includes(id)).length === 4, 10_000, 'the four others recorded')
  expect((await ledger()).filter((id) => good.includes(id)).sort()).toEqual([...good].sort())
  const [dead] = await listDeadLetters({ connection, service: 'eval', namespace })
  expect(dead!.error).toContain('this stage cannot be recorded')
})
