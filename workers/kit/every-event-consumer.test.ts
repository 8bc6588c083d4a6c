import { afterAll, beforeAll, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { buildEnvelope, listDeadLetters, Names, silentLogger, type QueueConsumer } from '../../core/index.ts'
import { opsRuntime } from '../../schemas/db/ops.ts'
import { waitFor } from '../../test/broker.ts'
import { openPieces, type WorkerPieces } from '../../test/worker-pieces.ts'
import { consumeEveryEvent } from './every-event-consumer.ts'

let p: WorkerPieces
let consumer: QueueConsumer
/** How many events each call of the handler was given. */
const calls: number[] = []

beforeAll(async () => {
  p = await openPieces({ label: 'every', service: 'ops', tables: opsRuntime })
  await p.database.db.execute(sql`create table ops.every_ledger (n bigserial primary key, event_id text not null, type text not null, routing_key text not null)`)
  consumer = consumeEveryEvent(
    {
      async batch(events, { tx }) {
        calls.push(events.length)
        const rows = events.map(({ event, message }) => ({ event_id: event.event_id, type: event.event_type, routing_key: message.routingKey }))
        await tx.execute(sql`insert into ops.every_ledger (event_id, type, routing_key) select * from json_to_recordset(${JSON.stringify(rows)}::json) as r(event_id text, type text, routing_key text)`)
      },
    },
    { resources: p.resources, pipeline: p.pipeline, config: p.config, log: silentLogger },
  )
  await consumer.ready
})
afterAll(async () => {
  await consumer.close()
  await p.close()
})

const ledger = async () => (await p.database.db.execute(sql`select event_id, type, routing_key from ops.every_ledger order by n`)) as unknown as { event_id: string; type: string; routing_key: string }[]

async function send(routingKey: string, body: unknown) {
  const raw = p.connection.createPublisher({ confirm: true })
  await raw.send({ exchange: new Names(p.namespace).events, routingKey, durable: true, contentType: 'application/json' }, body)
  await raw.close()
}

test('every event, of a catalogue type, an unknown one or with a payload failing its schema, is handed over once with its routing key', async () => {
  const known = buildEnvelope({ type: 'stage.completed', payload: { stage_id: crypto.randomUUID(), completion_date: '2026-12-01' }, version: '1.0', service: 'core-service' })
  const unknown = buildEnvelope({ type: 'thing.happened', payload: { thing_id: crypto.randomUUID() }, version: '1.0', service: 'external:partner' })
  const invalid = buildEnvelope({ type: 'stage.completed', payload: { stage_id: 'not a uuid' }, version: '1.0', service: 'core-service' })
  for (const e of [known, unknown, invalid, known]) await send(e.event_type, e)
  await waitFor(() => consumer.stats.handled === 4, 5_000, 'four handled')
  // Two batches may commit in either order.
  const byId = (a: { event_id: string }, b: { event_id: string }) => a.event_id.localeCompare(b.event_id)
  expect((await ledger()).sort(byId)).toEqual(
    [
      { event_id: known.event_id, type: 'stage.completed', routing_key: 'stage.completed' },
      { event_id: unknown.event_id, type: 'thing.happened', routing_key: 'thing.happened' },
      { event_id: invalid.event_id, type: 'stage.completed', routing_key: 'stage.completed' },
    ].sort(byId),
  )
})

test('a body that is no event envelope is dead-lettered with its reason; the events after it keep flowing', async () => {
  await p.database.db.execute(sql`truncate ops.every_ledger`)
  await send('stage.completed', Buffer.from('{"event_type": truncated'))
  await send('stage.started', { event_id: crypto.randomUUID(), payload: {} })
  const after = buildEnvelope({ type: 'stage.started', payload: { stage_id: crypto.randomUUID(), actual_start_date: '2026-12-01' }, version: '1.0', service: 'core-service' })
  await send('stage.started', after)
  await waitFor(async () => (await listDeadLetters({ connection: p.connection, service: 'ops', namespace: p.namespace })).length === 2, 5_000, 'two dead letters')
  await waitFor(async () => (await ledger()).length === 1, 5_000, 'the good event kept')
  expect((await ledger())[0]!.event_id).toBe(after.event_id)
  const letters = await listDeadLetters({ connection: p.connection, service: 'ops', namespace: p.namespace })
  expect(letters.map((l) => [l.errorClass, l.attempts])).toEqual([['permanent', 1], ['permanent', 1]])
  expect(letters[0]!.error).toBe('message body is not JSON')
  expect(letters[1]!.error).toStartWith('the message is not an event envelope: ')
  expect(letters[1]!.error).toContain('/event_type')
})

test('events arriving together go to one call', async () => {
  calls.length = 0
  const burst = Array.from({ length: 30 }, () => buildEnvelope({ type: 'stage.started', payload: { stage_id: crypto.randomUUID(), actual_start_date: '2026-12-01' }, version: '1.0', service: 'core-service' }))
  const raw = p.connection.createPublisher({ confirm: true })
  await Promise.all(burst.map((e) => raw.send({ exchange: new Names(p.namespace).events, routingKey: e.event_type, durable: true, contentType: 'application/json' }, e)))
  await raw.close()
  await waitFor(async () => (await ledger()).length === 31, 5_000, 'the burst kept')
  expect(Math.max(...calls)).toBeGreaterThan(1)
})
