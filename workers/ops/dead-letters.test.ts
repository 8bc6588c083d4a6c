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

test('replay sends the chosen dead letters back to the queue they failed on, the others stay; the count, the ids not there and an event say it', async () => {
  const [a, b, c] = [await deadLetter(), await deadLetter(), await deadLetter()]
  const reply = await send('ops.replay_dead_letters', { service: 'eval', ids: [a, 'not-there'] })
  expect(reply).toMatchObject({ kind: 'replied', reply: { outcome: 'succeeded', status: 200, body: { service: 'eval', replayed: 1, missing: ['not-there'] } } })
  expect(await messageCount(s.connection, names().eventQueue('eval'))).toBe(1)
  expect((await deadIds()).sort()).toEqual([b, c].sort())
  await waitFor(() => tap.envelopes().length === 1, 5_000, 'the event')
  expect(tap.envelopes()[0]).toMatchObject({ event_type: 'dead_letters.replayed', service: 'ops-service', payload: { service: 'eval', ids: [a, 'not-there'], count: 1, actor_id: admin } })
  // The audit trail keeps what the operator did, as any event.
  const event = tap.envelopes()[0]!.event_id
  await waitFor(async () => (await s.database.db.select().from(auditEvents).where(sql`${auditEvents.eventId} = ${event}`)).length === 1, 5_000, 'the event kept')
})

test('purge removes only the chosen ones; purge with all: true the rest; ids none of which is there: 404 at /ids naming them, nothing done', async () => {
  const before = await deadIds()
  const d = await deadLetter()
  const purged = await send('ops.purge_dead_letters', { service: 'eval', ids: [d] })
  expect(purged).toMatchObject({ kind: 'replied', reply: { status: 200, body: { service: 'eval', purged: 1 } } })
  expect((await deadIds()).sort()).toEqual([...before].sort())
  for (const type of ['ops.replay_dead_letters', 'ops.purge_dead_letters'] as const) {
    expect(await send(type, { service: 'eval', ids: [d, 'not-there'] })).toEqual({
      kind: 'replied',
      reply: { command_id: expect.any(String), outcome: 'failed', status: 404, body: { error: 'NOT_FOUND', message: 'no dead letter of eval has any of the ids named', problems: [{ path: '/ids', message: `no dead letter has the id ${d}, not-there` }] } },
    })
  }
  expect((await deadIds()).sort()).toEqual([...before].sort())
  expect(await send('ops.purge_dead_letters', { service: 'eval', all: true })).toMatchObject({ reply: { status: 200, body: { service: 'eval', purged: before.length } } })
  expect(await deadIds()).toEqual([])
  await waitFor(() => tap.envelopes().filter((e) => e.event_type === 'dead_letters.purged').length === 2, 5_000, 'two purge events')
  expect(tap.envelopes().filter((e) => e.event_type === 'dead_letters.purged').map((e) => e.payload)).toEqual([
    { service: 'eval', ids: [d], count: 1, actor_id: admin },
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

test('a service whose queues were never declared here has no dead letters: replay and purge of all answer 0', async () => {
  expect(await send('ops.replay_dead_letters', { service: 'comm', all: true })).toMatchObject({ reply: { outcome: 'succeeded', status: 200, body: { service: 'comm', replayed: 0 } } })
  expect(await send('ops.purge_dead_letters', { service: 'comm', all: true })).toMatchObject({ reply: { outcome: 'succeeded', status: 200, body: { service: 'comm', purged: 0 } } })
})

test('a purge of all whose transaction fails after the walk is applied on its retry without walking again: a letter dead-lettered meanwhile stays', async () => {
  const db = s.database.db
  await send('ops.purge_dead_letters', { service: 'eval', all: true })
  // The commit of the purge's event fails while ops.refuse_commits names it; each refusal is counted, outside any transaction.
  await db.execute(sql.raw(`
    create table ops.refuse_commits (event_type text primary key);
    create sequence ops.refused_commits;
    create function ops.refuse_commit() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from ops.refuse_commits r where r.event_type = new.event_type) then
        perform nextval('ops.refused_commits');
        raise exception 'the database refused the commit';
      end if;
      return new;
    end $$;
    create trigger refuse_commit before insert on ops.outbox for each row execute function ops.refuse_commit();
    insert into ops.refuse_commits values ('dead_letters.purged');`))
  try {
    await deadLetter()
    await deadLetter()
    const reply = send('ops.purge_dead_letters', { service: 'eval', all: true })
    const refused = async () => ((await db.execute(sql`select is_called from ops.refused_commits`)) as unknown as { is_called: boolean }[])[0]!.is_called
    await waitFor(refused, 5_000, 'the first commit refused')
    const later = await deadLetter()
    await db.execute(sql`delete from ops.refuse_commits`)
    expect(await reply).toMatchObject({ kind: 'replied', reply: { outcome: 'succeeded', status: 200, body: { service: 'eval', purged: 2 } } })
    expect(await deadIds()).toEqual([later])
  } finally {
    await db.execute(sql.raw('drop trigger refuse_commit on ops.outbox; drop function ops.refuse_commit(); drop sequence ops.refused_commits; drop table ops.refuse_commits;'))
  }
})
