import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { createPublisher, deleteTopology, Names, type EventPublisher } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { connect, messageCount, testNamespace, waitFor } from '../../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import { createLedger } from '../../test/fixtures/ledger-worker.ts'
import { spawnEntry } from '../../test/processes.ts'

const namespace = testNamespace('proc')
const connection = connect()
let database: TestDatabase
let publisher: EventPublisher<typeof catalogue>
const queue = new Names(namespace).eventQueue('eval')

const env = () => ({ DATABASE_URL: database.url, MEDTRACK_NAMESPACE: namespace, RETRY_TIERS: '200,400', LOG_LEVEL: 'info', PREFETCH: '20' })
const ledger = async () => (await database.db.execute(sql`select event_id, count(*)::int as n from eval.fixture_ledger group by event_id`)) as unknown as { event_id: string; n: number }[]

async function burst(n: number): Promise<string[]> {
  const sent = await Promise.all(Array.from({ length: n }, () => publisher.publish('stage.completed', { stage_id: crypto.randomUUID(), completion_date: '2026-11-26' })))
  return sent.map((e) => e.event_id)
}

beforeAll(async () => {
  database = await createTestDatabase('proc')
  await createLedger(database.url)
  publisher = createPublisher({ connection, catalogue, service: 'core', namespace })
})

afterAll(async () => {
  await publisher.close()
  await deleteTopology(connection, { namespace, services: ['eval'], retryTiers: [200, 400], commands: commandBindings() })
  await connection.close()
  await database.drop()
})

describe('a worker process', () => {
  test('killed with SIGKILL in the middle of a burst: after restart every message is applied exactly once', async () => {
    const first = spawnEntry('test/fixtures/ledger-worker.ts', { ...env(), FIXTURE_DELAY_MS: '5' })
    await first.waitForLine(/worker started/)
    const ids = await burst(400)
    await waitFor(async () => (await ledger()).length >= 50, 15_000, 'part of the burst applied')
    first.proc.kill('SIGKILL')
    expect(await first.exited).not.toBe(0)
    const before = (await ledger()).length
    expect(before).toBeLessThan(400)

    const second = spawnEntry('test/fixtures/ledger-worker.ts', env())
    await second.waitForLine(/worker started/)
    await waitFor(async () => (await ledger()).length === 400, 20_000, 'every message applied')
    await waitFor(async () => (await messageCount(connection, queue)) === 0, 5_000, 'queue drained')
    const rows = await ledger()
    expect(rows.map((r) => r.event_id).sort()).toEqual([...ids].sort())
    expect(rows.every((r) => r.n === 1)).toBe(true)
    second.proc.kill('SIGTERM')
    expect(await second.exited).toBe(0)
  }, 60_000)

  test('an INBOX_RETENTION_MS shorter than the retry chain plus a day to replay is refused at start, naming the setting (exit 1)', async () => {
    const child = spawnEntry('test/fixtures/ledger-worker.ts', { ...env(), RETRY_TIERS: '', INBOX_RETENTION_MS: String(24 * 3_600_000) })
    expect(await child.exited).toBe(1)
    const line = await child.waitForLine(/INBOX_RETENTION_MS/, 1_000)
    expect(line).toContain('invalid configuration')
    expect(line).toContain('must be at least 87156000')
  })

  test('SIGTERM with messages in hand: they finish, are acked, and the process exits 0', async () => {
    await database.db.execute(sql`truncate eval.fixture_ledger`)
    const worker = spawnEntry('test/fixtures/ledger-worker.ts', { ...env(), FIXTURE_DELAY_MS: '400', PREFETCH: '5' })
    await worker.waitForLine(/worker started/)
    await burst(30)
    await waitFor(async () => (await ledger()).length >= 1, 10_000, 'the first batch applied')
    worker.proc.kill('SIGTERM')
    expect(await worker.exited).toBe(0)
    await worker.waitForLine(/worker stopped/)
    const applied = (await ledger()).length
    expect(applied).toBeGreaterThan(0)
    expect(applied).toBeLessThan(30)
    // What was applied was acked: only the rest is back in the queue.
    await waitFor(async () => (await messageCount(connection, queue)) === 30 - applied, 5_000, `${30 - applied} messages ready`)
  }, 60_000)
})

describe('signals', () => {
  test('SIGINT then SIGTERM (Ctrl-C in bun run dev): one clean shutdown, exit 0, "worker stopped"', async () => {
    const worker = spawnEntry('test/fixtures/ledger-worker.ts', env())
    await worker.waitForLine(/worker started/)
    worker.proc.kill('SIGINT')
    worker.proc.kill('SIGTERM')
    expect(await worker.exited).toBe(0)
    await worker.waitForLine(/worker stopped/)
    expect(worker.lines.filter((l) => l.includes('"worker stopping"'))).toHaveLength(1)
  }, 30_000)
})
