import { afterAll, beforeAll, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { buildEnvelope, HEADER, Names, parseConfig, replayDeadLetters } from '../../core/index.ts'
import { auditEvents, opsTokenVersions } from '../../schemas/db/ops.ts'
import { waitFor } from '../../test/broker.ts'
import { startService, type Service } from '../../test/service.ts'
import { OpsSettings } from './settings.ts'
import { opsWorker } from './worker.ts'

let s: Service

beforeAll(async () => {
  s = await startService({ label: 'opsaudit', worker: opsWorker(parseConfig(OpsSettings, {})), env: { RETRY_TIERS: '200,400' } })
})
afterAll(() => s.close())

const rowsOf = (ids: string[]) => s.database.db.select().from(auditEvents).where(sql`${auditEvents.eventId} = any(${sql.param(ids)}::text[])`)

/** Publishes `body` on the namespace's events exchange as any producer could, with no check. */
async function sendRaw(routingKey: string, body: unknown, properties: Record<string, unknown> = {}) {
  const raw = s.connection.createPublisher({ confirm: true })
  await raw.send({ exchange: new Names(s.namespace).events, routingKey, durable: true, contentType: 'application/json', ...properties }, body)
  await raw.close()
}

test('events of every kind, known or not, valid or not, are each kept once, as they were sent, with their ids found at any depth', async () => {
  const stageId = crypto.randomUUID()
  const studentId = crypto.randomUUID()
  const core = s.publisher('core')
  const accepted = await core.publish('stage.accepted', { stage_id: stageId, student_id: studentId, encadrant_id: crypto.randomUUID() }, { correlationId: 'req-1' })
  const completed = await core.publish('stage.completed', { stage_id: stageId, completion_date: '2026-12-01' }, { correlationId: 'req-1', causationId: accepted.event_id })
  const unknown = buildEnvelope({ type: 'partner.visit_logged', payload: { visit: { at: '2026-12-01', refs: [{ kind: 'stage', id: stageId.toUpperCase() }, 'not an id'] } }, version: '2.0', service: 'external:partner' })
  const invalid = buildEnvelope({ type: 'stage.started', payload: { stage_id: 'not-a-uuid', about: { student_id: studentId } }, version: '1.0', service: 'core-service' })
  await sendRaw(unknown.event_type, unknown, { messageId: unknown.event_id, headers: { 'x-partner': 'p-7' } })
  await sendRaw(invalid.event_type, invalid)
  // The same event published again, as a relay may after a crash.
  await sendRaw(accepted.event_type, accepted, { type: accepted.event_type, messageId: accepted.event_id })

  const ids = [accepted, completed, unknown, invalid].map((e) => e.event_id)
  await waitFor(async () => (await rowsOf(ids)).length === 4, 10_000, 'four events kept')
  await waitFor(async () => (await s.handled('stage.accepted')) === 2, 5_000, 'the second copy handled')
  const rows = await rowsOf(ids)
  expect(rows).toHaveLength(4)
  const byId = new Map(rows.map((r) => [r.eventId, r]))

  expect(byId.get(accepted.event_id)).toMatchObject({
    type: 'stage.accepted',
    producer: 'core-service',
    correlationId: 'req-1',
    causationId: null,
    occurredAt: new Date(accepted.timestamp),
    routingKey: 'stage.accepted',
    envelope: accepted,
  })
  expect(byId.get(accepted.event_id)!.entityIds.sort()).toEqual([stageId, studentId, (accepted.payload as { encadrant_id: string }).encadrant_id].sort())
  expect(byId.get(completed.event_id)).toMatchObject({ causationId: accepted.event_id, entityIds: [stageId] })
  expect(byId.get(unknown.event_id)).toMatchObject({ type: 'partner.visit_logged', producer: 'external:partner', envelope: unknown, entityIds: [stageId] })
  expect(byId.get(unknown.event_id)!.headers).toMatchObject({ messageId: unknown.event_id, contentType: 'application/json', headers: { 'x-partner': 'p-7' } })
  expect(byId.get(invalid.event_id)).toMatchObject({ type: 'stage.started', envelope: invalid, entityIds: [studentId] })

  // A stage's id finds every event about it.
  const aboutStage = await s.database.db.select({ id: auditEvents.eventId }).from(auditEvents).where(sql`${auditEvents.entityIds} @> array[${stageId}]::text[]`)
  expect(aboutStage.map((r) => r.id).sort()).toEqual([accepted.event_id, completed.event_id, unknown.event_id].sort())
  expect(await s.deadLetters()).toEqual([])
})

test('a body that is not a JSON envelope is dead-lettered with its reason; the events after it are kept', async () => {
  await sendRaw('stage.completed', Buffer.from('stage 7 is done'), { contentType: 'text/plain' })
  const after = await s.publisher('core').publish('stage.started', { stage_id: crypto.randomUUID(), actual_start_date: '2026-12-01' })
  await waitFor(async () => (await s.deadLetters()).length === 1, 5_000, 'the dead letter')
  await waitFor(async () => (await rowsOf([after.event_id])).length === 1, 5_000, 'the next event kept')
  expect((await s.deadLetters())[0]).toMatchObject({ errorClass: 'permanent', attempts: 1, error: 'message body is not JSON', body: 'stage 7 is done' })
})

test('account events also keep ops\'s token versions', async () => {
  const userId = crypto.randomUUID()
  const auth = s.publisher('auth')
  await auth.publish('user.created', { user_id: userId, email: 'ops-admin@example.org', role: 'admin', first_name: 'Nadia', last_name: 'Ops' })
  await auth.publish('user.password_changed', { user_id: userId, token_version: 4 })
  await waitFor(async () => (await s.database.db.select().from(opsTokenVersions).where(eq(opsTokenVersions.userId, userId)))[0]?.tokenVersion === 4, 5_000, 'the token version')
  const [row] = await s.database.db.select().from(opsTokenVersions).where(eq(opsTokenVersions.userId, userId))
  expect(row).toMatchObject({ role: 'admin', tokenVersion: 4, deletedAt: null })
  expect(await s.database.db.select({ type: auditEvents.type }).from(auditEvents).where(sql`${auditEvents.entityIds} @> array[${userId}]::text[]`).orderBy(auditEvents.id)).toEqual([{ type: 'user.created' }, { type: 'user.password_changed' }])
})

test('a burst is kept in few statements, each event once', async () => {
  const batches = async () => Number((await s.worker!.metrics.render()).match(/medtrack_batch_size_count (\d+)/)![1])
  const before = await batches()
  const core = s.publisher('core')
  const sent = await Promise.all(Array.from({ length: 100 }, () => core.publish('stage.started', { stage_id: crypto.randomUUID(), actual_start_date: '2026-12-01' })))
  const ids = sent.map((e) => e.event_id)
  await waitFor(async () => (await rowsOf(ids)).length === 100, 10_000, 'the burst kept')
  expect((await batches()) - before).toBeLessThan(50)
})

test('a copy that comes back through a dead letter replayed is not kept twice; the row keeps the routing key it was published with', async () => {
  const event = await s.publisher('core').publish('stage.started', { stage_id: crypto.randomUUID(), actual_start_date: '2026-12-01' })
  await waitFor(async () => (await rowsOf([event.event_id])).length === 1, 5_000, 'the event kept')
  const names = new Names(s.namespace)
  const raw = s.connection.createPublisher({ confirm: true })
  const headers = { [HEADER.error]: 'timed out', [HEADER.errorClass]: 'transient', [HEADER.attempts]: 3, [HEADER.failedAt]: new Date().toISOString(), [HEADER.originalQueue]: names.eventQueue('ops') }
  await raw.send({ routingKey: names.deadQueue('ops'), messageId: event.event_id, type: event.event_type, durable: true, contentType: 'application/json', headers }, event)
  await raw.close()
  const handled = await s.handled('stage.started')
  expect(await replayDeadLetters({ connection: s.connection, service: 'ops', namespace: s.namespace, ids: [event.event_id] })).toEqual({ count: 1, missing: [] })
  await waitFor(async () => (await s.handled('stage.started')) === handled + 1, 5_000, 'the copy handled')
  const rows = await rowsOf([event.event_id])
  expect(rows).toHaveLength(1)
  expect(rows[0]).toMatchObject({ routingKey: 'stage.started', envelope: event })
})

test('an event the database cannot store (a NUL in its payload) is dead-lettered alone with the reason; those sent with it are kept', async () => {
  const before = (await s.deadLetters()).length
  const core = s.publisher('core')
  const first = await core.publish('stage.started', { stage_id: crypto.randomUUID(), actual_start_date: '2026-12-01' })
  const bad = buildEnvelope({ type: 'partner.note', payload: { text: 'before\u0000after' }, version: '1.0', service: 'external:partner' })
  await sendRaw(bad.event_type, bad)
  const last = await core.publish('stage.started', { stage_id: crypto.randomUUID(), actual_start_date: '2026-12-01' })
  await waitFor(async () => (await s.deadLetters()).length === before + 1, 5_000, 'the dead letter')
  await waitFor(async () => (await rowsOf([first.event_id, last.event_id])).length === 2, 5_000, 'the others kept')
  const letter = (await s.deadLetters()).find((d) => d.messageId === bad.event_id)
  expect(letter).toMatchObject({ errorClass: 'permanent', attempts: 1 })
  expect(letter!.error).toStartWith('database: ')
  expect(await rowsOf([bad.event_id])).toEqual([])
})
