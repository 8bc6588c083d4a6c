import { afterAll, beforeAll, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { createPublisher, silentLogger, type EventPublisher, type QueueConsumer } from '../../core/index.ts'
import { evalRuntime } from '../../schemas/db/eval.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { waitFor } from '../../test/broker.ts'
import { openPieces, type WorkerPieces } from '../../test/worker-pieces.ts'
import { consumeEvents } from './event-consumer.ts'

let p: WorkerPieces
let consumer: QueueConsumer
let publisher: EventPublisher<typeof catalogue>

beforeAll(async () => {
  p = await openPieces({ label: 'events', service: 'eval', tables: evalRuntime })
  await p.database.db.execute(sql`create table eval.events_ledger (n bigserial primary key, stage_id text not null)`)
  publisher = createPublisher({ connection: p.connection, catalogue, service: 'core', namespace: p.namespace })
  consumer = await consumeEvents(
    {
      'stage.completed': async (event, { tx }) => {
        await tx.execute(sql`insert into eval.events_ledger (stage_id) values (${event.payload.stage_id})`)
      },
      'stage.started': {
        async batch(events, { tx }) {
          await tx.execute(sql`insert into eval.events_ledger (stage_id) select unnest(${sql.param(events.map(({ event }) => event.payload.stage_id))}::text[])`)
        },
      },
    },
    { resources: p.resources, pipeline: p.pipeline, config: p.config, log: silentLogger },
  )
  await consumer.ready
})
afterAll(async () => {
  await consumer.close()
  await publisher.close()
  await p.close()
})

const recorded = async (stageId: string) => ((await p.database.db.execute(sql`select count(*)::int as n from eval.events_ledger where stage_id = ${stageId}`)) as unknown as { n: number }[])[0]!.n

test('an event with a handler is applied once, even published twice; a batch handler gets its type\'s events', async () => {
  const stageId = crypto.randomUUID()
  const event = await publisher.publish('stage.completed', { stage_id: stageId, completion_date: '2026-12-01' })
  await publisher.publish('stage.completed', { stage_id: stageId, completion_date: '2026-12-01' }, { eventId: event.event_id })
  const started = crypto.randomUUID()
  await publisher.publish('stage.started', { stage_id: started, actual_start_date: '2026-12-01' })
  await waitFor(() => consumer.stats.handled === 3, 5_000, 'three handled')
  expect(await recorded(stageId)).toBe(1)
  expect(await recorded(started)).toBe(1)
})

test('an event without a handler is acked as unhandled, nothing applied', async () => {
  const stageId = crypto.randomUUID()
  await publisher.publish('stage.cancelled', { stage_id: stageId, reason: 'no longer offered' })
  await waitFor(() => consumer.stats.unhandled === 1, 5_000, 'one unhandled')
  expect(await recorded(stageId)).toBe(0)
  expect(consumer.stats.dead).toBe(0)
})
