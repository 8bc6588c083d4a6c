import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { buildEnvelope, createPublisher, deleteTopology, listDeadLetters, parseConfig, purgeDeadLetters, type EventPublisher } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { connect, testNamespace, waitFor } from '../../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import { createLedger, ledgerWorker } from '../../test/fixtures/ledger-worker.ts'
import { startProxy } from '../../test/tcp-proxy.ts'
import { coreWorker } from '../core/worker.ts'
import { WorkerConfig } from './config.ts'
import { startWorker, type RunningWorker } from './run.ts'

const namespace = testNamespace('worker')
const connection = connect()
const TIERS = [300, 600, 1_200, 2_400, 4_800]
let database: TestDatabase
let publisher: EventPublisher<typeof catalogue>
let proxy: Awaited<ReturnType<typeof startProxy>>
let worker: RunningWorker

const config = (databaseUrl: string) =>
  parseConfig(WorkerConfig, { PORT: '0', DATABASE_URL: databaseUrl, MEDTRACK_NAMESPACE: namespace, RETRY_TIERS: TIERS.join(','), RELAY_INTERVAL_MS: '100', RELAY_AFTER_MS: '200', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error' })
const ledger = async () => ((await database.db.execute(sql`select event_id from eval.fixture_ledger`)) as unknown as { event_id: string }[]).map((r) => r.event_id)
const completed = () => publisher.publish('stage.completed', { stage_id: crypto.randomUUID(), completion_date: '2026-11-26' })

beforeAll(async () => {
  database = await createTestDatabase('worker')
  await createLedger(database.url)
  proxy = await startProxy(5432)
  publisher = createPublisher({ connection, catalogue, service: 'core', namespace })
  const url = new URL(database.url)
  url.port = String(proxy.port)
  worker = await startWorker(ledgerWorker, config(url.toString()))
})

afterAll(async () => {
  await worker.close()
  proxy.stop()
  await publisher.close()
  await deleteTopology(connection, { namespace, services: ['eval', 'core'], retryTiers: TIERS, commands: commandBindings() })
  await connection.close()
  await database.drop()
})

describe('the worker kit', () => {
  test('PostgreSQL unavailable while handling: the message is retried and applied once the database is back; nothing is dead-lettered', async () => {
    await proxy.cut()
    const event = await completed()
    await waitFor(async () => /medtrack_messages_failed_total\{queue="events",type="stage.completed"\} [2-9]/.test(await worker.metrics.render()), 5_000, 'two failed attempts')
    expect(await ledger()).not.toContain(event.event_id)
    const ready = await fetch(`http://127.0.0.1:${worker.port}/ready`)
    expect(ready.status).toBe(503)
    const [problem] = (await ready.json()).problems as string[]
    expect(problem).toStartWith('database: ')
    expect(problem).not.toStartWith('database: database:')

    await proxy.restore()
    await waitFor(async () => (await ledger()).includes(event.event_id), 15_000, 'the event applied after the database came back')
    expect((await ledger()).filter((id) => id === event.event_id)).toHaveLength(1)
    expect(await listDeadLetters({ connection, service: 'eval', namespace })).toEqual([])
    expect((await fetch(`http://127.0.0.1:${worker.port}/ready`)).status).toBe(200)
  })

  test('events whose ids an inbox cannot hold (3,000 characters, a NUL), sent among good ones: each bad one dead-lettered alone with its reason, every good one applied', async () => {
    const good = await Promise.all(Array.from({ length: 6 }, () => completed()))
    const exchange = `${namespace}.medtrack.events`
    const raw = connection.createPublisher({ confirm: true })
    const bad = ['x'.repeat(3_000), `nul\u0000${crypto.randomUUID()}`]
    for (const id of bad) {
      const body = buildEnvelope({ type: 'stage.completed', payload: { stage_id: crypto.randomUUID(), completion_date: '2026-11-26' }, version: '1.0', service: 'core-service', eventId: id })
      await raw.send({ exchange, routingKey: 'stage.completed', durable: true, contentType: 'application/json' }, body)
    }
    const more = await Promise.all(Array.from({ length: 6 }, () => completed()))
    await raw.close()
    await waitFor(async () => (await listDeadLetters({ connection, service: 'eval', namespace })).length === 2, 10_000, 'two dead letters')
    await waitFor(async () => {
      const applied = await ledger()
      return [...good, ...more].every((e) => applied.includes(e.event_id))
    }, 10_000, 'every good event applied')
    const letters = await listDeadLetters({ connection, service: 'eval', namespace })
    expect(letters.map((l) => l.error).every((e) => e.includes('/event_id'))).toBe(true)
    const applied = await ledger()
    for (const e of [...good, ...more]) expect(applied.filter((id) => id === e.event_id)).toHaveLength(1)
    await purgeDeadLetters({ connection, service: 'eval', namespace })
  })

  test('/health, /metrics and nothing else over HTTP', async () => {
    const base = `http://127.0.0.1:${worker.port}`
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok', service: 'eval-worker' })
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toContain('medtrack_messages_total{queue="events",type="stage.completed",outcome="handled"}')
    expect(metrics).toContain('medtrack_messages_total{queue="events",type="stage.completed",outcome="retried"}')
    expect(metrics).toContain('medtrack_handler_duration_seconds_bucket{queue="events",le="+Inf"}')
    expect(metrics).toMatch(/medtrack_outbox_backlog \d+/)
    // The process's own id, by which the ops API tells replicas apart and sees a restart.
    expect(metrics).toMatch(/^medtrack_worker_info\{instance="[0-9a-f-]{36}"\} 1$/m)
    expect((await fetch(`${base}/students`)).status).toBe(404)
  })

  test('an event without a handler is acked and counted as unhandled', async () => {
    await publisher.publish('stage.started', { stage_id: crypto.randomUUID(), actual_start_date: '2026-11-26' })
    await waitFor(async () => (await worker.metrics.render()).includes('type="stage.started",outcome="unhandled"} 1'), 5_000, 'unhandled counted')
  })

  test('an outbox row committed but never published (the writer crashed) is published by the relay of a running worker', async () => {
    const core = await startWorker(coreWorker(), config(database.url))
    try {
      const studentId = crypto.randomUUID()
      const envelope = buildEnvelope({ type: 'student.created', payload: { student_id: studentId, user_id: crypto.randomUUID(), email: 'relay@example.org' }, version: '1.0', service: 'profile-service' })
      // Left unsent in core's outbox, as if core's worker had died between commit and publish.
      await database.db.execute(sql`insert into core.outbox (event_id, event_type, envelope) values (${envelope.event_id}, ${envelope.event_type}, ${JSON.stringify(envelope)}::jsonb)`)
      await waitFor(async () => {
        const rows = (await database.db.execute(sql`select student_id from core.student_directory where student_id = ${studentId}`)) as unknown as unknown[]
        return rows.length === 1
      }, 10_000, 'the relayed event applied by the core worker')
      const [row] = (await database.db.execute(sql`select sent_at from core.outbox where event_id = ${envelope.event_id}`)) as unknown as { sent_at: string | null }[]
      expect(row!.sent_at).not.toBeNull()
    } finally {
      await core.close()
    }
  })
})
