import { afterAll, beforeAll, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { buildEnvelope, createCommandDispatcher, declareTopology, deleteTopology, HEADER, listDeadLetters, Names, newId, parseConfig, type CommandDispatcher } from '../../core/index.ts'
import { auditEvents } from '../../schemas/db/ops.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { messageCount, waitFor, type EventTap } from '../../test/broker.ts'
import { startService, type Service } from '../../test/service.ts'
import { OpsSettings } from './settings.ts'
import { opsWorker } from './worker.ts'

let s: Service
let dispatcher: CommandDispatcher
let tap: EventTap
const admin = crypto.randomUUID()

beforeAll(async () => {
  s = await startService({ label: 'opsdlq', worker: opsWorker(parseConfig(OpsSettings, {})), env: { RETRY_TIERS: '200,400' } })
  // eval's queues, with nobody consuming them: what is replayed stays where it went.
  await declareTopology(s.connection, { namespace: s.namespace, services: ['eval'], retryTiers: [], commands: commandBindings() })
  dispatcher = createCommandDispatcher({ connection: s.connection, namespace: s.namespace, waitMs: 5_000 })
  tap = await s.tap('dead_letters.*')
})
afterAll(async () => {
  await dispatcher.close()
  await deleteTopology(s.connection, { namespace: s.namespace, services: ['eval'], retryTiers: [], commands: commandBindings() })
  await s.close()
})

const names = () => new Names(s.namespace)

/** An event set aside in eval's dead-letter queue after failing on eval.events, as the kit leaves it. */
async function deadLetter(): Promise<string> {
  const envelope = buildEnvelope({ type: 'stage.completed', payload: { stage_id: crypto.randomUUID(), completion_date: '2026-12-01' }, version: '1.0', service: 'core-service' })
  const raw = s.connection.createPublisher({ confirm: true })
  const headers = { [HEADER.error]: 'database: relation missing', [HEADER.errorClass]: 'transient', [HEADER.attempts]: 3, [HEADER.failedAt]: new Date().toISOString(), [HEADER.originalQueue]: names().eventQueue('eval') }
  await raw.send({ routingKey: names().deadQueue('eval'), messageId: envelope.event_id, type: envelope.event_type, durable: true, contentType: 'application/json', headers }, envelope)
  await raw.close()
  return envelope.event_id
}

const send = (type: 'ops.replay_dead_letters' | 'ops.purge_dead_letters', payload: Record<string, unknown>) =>
  dispatcher.dispatch({ command_id: newId(), command_type: type, correlation_id: null, actor: { user_id: admin, role: 'admin' }, payload })
const deadIds = async () => (await listDeadLetters({ connection: s.connection, service: 'eval', namespace: s.namespace })).map((d) => d.messageId)

test('replay sends the chosen dead letters back to the queue they failed on, the others stay; the count and an event say it', async () => {
  const [a, b, c] = [await deadLetter(), await deadLetter(), await deadLetter()]
  const reply = await send('ops.replay_dead_letters', { service: 'eval', ids: [a, 'not-there'] })
  expect(reply).toMatchObject({ kind: 'replied', reply: { outcome: 'succeeded', status: 200, body: { service: 'eval', replayed: 1 } } })
  expect(await messageCount(s.connection, names().eventQueue('eval'))).toBe(1)
  expect((await deadIds()).sort()).toEqual([b, c].sort())
  await waitFor(() => tap.envelopes().length === 1, 5_000, 'the event')
  expect(tap.envelopes()[0]).toMatchObject({ event_type: 'dead_letters.replayed', service: 'ops-service', payload: { service: 'eval', ids: [a, 'not-there'], count: 1, actor_id: admin } })
  // The audit trail keeps what the operator did, as any event.
  const event = tap.envelopes()[0]!.event_id
  await waitFor(async () => (await s.database.db.select().from(auditEvents).where(sql`${auditEvents.eventId} = ${event}`)).length === 1, 5_000, 'the event kept')
})

test('purge removes only the chosen ones; purge with all: true the rest; an id not there counts for none', async () => {
  const before = await deadIds()
  const d = await deadLetter()
  const purged = await send('ops.purge_dead_letters', { service: 'eval', ids: [d] })
  expect(purged).toMatchObject({ kind: 'replied', reply: { status: 200, body: { service: 'eval', purged: 1 } } })
  expect((await deadIds()).sort()).toEqual([...before].sort())
  expect(await send('ops.purge_dead_letters', { service: 'eval', ids: [d] })).toMatchObject({ reply: { status: 200, body: { purged: 0 } } })
  expect(await send('ops.purge_dead_letters', { service: 'eval', all: true })).toMatchObject({ reply: { status: 200, body: { service: 'eval', purged: before.length } } })
  expect(await deadIds()).toEqual([])
  await waitFor(() => tap.envelopes().filter((e) => e.event_type === 'dead_letters.purged').length === 3, 5_000, 'three purge events')
  expect(tap.envelopes().filter((e) => e.event_type === 'dead_letters.purged').map((e) => e.payload)).toEqual([
    { service: 'eval', ids: [d], count: 1, actor_id: admin },
    { service: 'eval', ids: [d], count: 0, actor_id: admin },
    { service: 'eval', ids: null, count: before.length, actor_id: admin },
  ])
})

test('replay with all: true replays every one; sent again with its id, the command is answered without replaying again', async () => {
  await s.connection.queuePurge({ queue: names().eventQueue('eval') })
  const ids = [await deadLetter(), await deadLetter()]
  const command = { command_id: newId(), command_type: 'ops.replay_dead_letters', correlation_id: null, actor: { user_id: admin, role: 'admin' }, payload: { service: 'eval', all: true } }
  const first = await dispatcher.dispatch(command)
  expect(first).toMatchObject({ reply: { status: 200, body: { service: 'eval', replayed: 2 } } })
  await deadLetter()
  expect(await dispatcher.dispatch(command)).toEqual(first)
  expect(await messageCount(s.connection, names().eventQueue('eval'))).toBe(ids.length)
  expect(await deadIds()).toHaveLength(1)
})

test('neither ids nor all, or both: 422 naming /payload/ids, nothing done', async () => {
  const before = await deadIds()
  for (const payload of [{ service: 'eval' }, { service: 'eval', all: false }, { service: 'eval', ids: [before[0] ?? 'x'], all: true }]) {
    const reply = await send('ops.replay_dead_letters', payload)
    expect(reply).toMatchObject({ kind: 'replied', reply: { outcome: 'failed', status: 422, body: { error: 'UNPROCESSABLE', problems: [{ path: '/payload/ids' }] } } })
  }
  expect(await send('ops.purge_dead_letters', { service: 'eval' })).toMatchObject({ reply: { status: 422, body: { problems: [{ path: '/payload/ids', message: 'is required, or all: true' }] } } })
  expect(await send('ops.purge_dead_letters', { service: 'nowhere', all: true })).toMatchObject({ reply: { status: 422, body: { problems: [{ path: '/payload/service' }] } } })
  expect(await deadIds()).toEqual(before)
})
