import { afterAll, beforeAll, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { auditEvents } from '../../schemas/db/ops.ts'
import { waitFor } from '../../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import { startService } from '../../test/service.ts'
import { pruneAudit } from './retention.ts'
import { opsWorker } from './worker.ts'

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase('opsprune')
})
afterAll(() => database.drop())

/** Audit rows received `daysAgo` days ago; resolves with their event ids. */
async function keptDaysAgo(db: TestDatabase['db'], n: number, daysAgo: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => crypto.randomUUID())
  for (const id of ids) {
    await db.execute(sql`
      insert into ops.audit_events (event_id, type, producer, occurred_at, received_at, routing_key, envelope, headers)
      values (${id}, 'stage.started', 'core-service', now() - make_interval(days => ${daysAgo}), now() - make_interval(days => ${daysAgo}), 'stage.started', '{}'::jsonb, '{}'::jsonb)`)
  }
  return ids
}
const remaining = async (db: TestDatabase['db']) => (await db.select({ id: auditEvents.eventId }).from(auditEvents)).map((r) => r.id).sort()

test('rows past the retention are deleted in batches until none is left; the younger ones stay', async () => {
  const young = [...(await keptDaysAgo(database.db, 2, 29)), ...(await keptDaysAgo(database.db, 1, 0))]
  await keptDaysAgo(database.db, 7, 31)
  await keptDaysAgo(database.db, 3, 400)
  expect(await pruneAudit(database.db, { retentionDays: 30, batch: 4 })).toEqual({ deleted: 10, rounds: 3 })
  expect(await remaining(database.db)).toEqual([...young].sort())
  expect(await pruneAudit(database.db, { retentionDays: 30, batch: 4 })).toEqual({ deleted: 0, rounds: 1 })
})

test('the worker prunes at start and again every AUDIT_PRUNE_EVERY_MS, with AUDIT_RETENTION_DAYS and AUDIT_PRUNE_BATCH', async () => {
  const s = await startService({ label: 'opsretain', worker: opsWorker({ AUDIT_RETENTION_DAYS: 2, AUDIT_PRUNE_BATCH: 2, AUDIT_PRUNE_EVERY_MS: 1_000 }), deferWorker: true })
  try {
    const young = await keptDaysAgo(s.database.db, 2, 1)
    await keptDaysAgo(s.database.db, 5, 3)
    await s.startWorker()
    await waitFor(async () => (await remaining(s.database.db)).length === 2, 5_000, 'the old rows pruned at start')
    await keptDaysAgo(s.database.db, 3, 10)
    await waitFor(async () => (await remaining(s.database.db)).length === 2, 5_000, 'pruned again a second later')
    expect(await remaining(s.database.db)).toEqual([...young].sort())
  } finally {
    await s.close()
  }
})
