import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { createPublisher, deleteTopology, type EventPublisher } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { connect, testNamespace, waitFor } from '../../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import { spawnEntry } from '../../test/processes.ts'

const namespace = testNamespace('opsproc')
const connection = connect()
let database: TestDatabase
let publisher: EventPublisher<typeof catalogue>

const env = (more: Record<string, string> = {}) => ({ DATABASE_URL: database.url, MEDTRACK_NAMESPACE: namespace, RETRY_TIERS: '200,400', LOG_LEVEL: 'info', PORT: '0', ...more })
const kept = async () => ((await database.db.execute(sql`select count(*)::int as n from ops.audit_events`)) as unknown as { n: number }[])[0]!.n

beforeAll(async () => {
  database = await createTestDatabase('opsproc')
  publisher = createPublisher({ connection, catalogue, service: 'core', namespace })
})
afterAll(async () => {
  await publisher.close()
  await deleteTopology(connection, { namespace, services: ['ops'], retryTiers: [200, 400], commands: commandBindings() })
  await connection.close()
  await database.drop()
})

describe('the ops worker process', () => {
  test('keeps what is published, answers /applied from its inbox, and on SIGTERM stops cleanly (exit 0)', async () => {
    const worker = spawnEntry('workers/ops/main.ts', env())
    const started = await worker.waitForLine(/worker started/)
    const port = JSON.parse(started).port as number
    const sent = await Promise.all(Array.from({ length: 20 }, () => publisher.publish('stage.started', { stage_id: crypto.randomUUID(), actual_start_date: '2026-12-01' })))
    await waitFor(async () => (await kept()) === 20, 10_000, 'twenty events kept')
    const applied = await (await fetch(`http://127.0.0.1:${port}/applied?ids=${sent[0]!.event_id}&ids=${crypto.randomUUID()}`)).json()
    expect(applied).toMatchObject({ service: 'ops', applied: [{ message_id: sent[0]!.event_id, consumer: 'events' }] })
    worker.proc.kill('SIGTERM')
    expect(await worker.exited).toBe(0)
    await worker.waitForLine(/worker stopped/)
  }, 30_000)

  test('an AUDIT_RETENTION_DAYS of 0 is refused at start, naming it (exit 1)', async () => {
    const worker = spawnEntry('workers/ops/main.ts', env({ AUDIT_RETENTION_DAYS: '0' }))
    expect(await worker.exited).toBe(1)
    expect(await worker.waitForLine(/AUDIT_RETENTION_DAYS/, 1_000)).toContain('invalid configuration')
  }, 30_000)
})
