import { afterAll, beforeAll, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { CommitUnknownError, PermanentError, type WorkItem } from '../../core/index.ts'
import { evalRuntime } from '../../schemas/db/eval.ts'
import { tapEvents, waitFor, type EventTap } from '../../test/broker.ts'
import { startProxy } from '../../test/tcp-proxy.ts'
import { openPieces, type WorkerPieces } from '../../test/worker-pieces.ts'
import type { Catalogue } from './define.ts'

let p: WorkerPieces
let tap: EventTap

beforeAll(async () => {
  p = await openPieces({ label: 'pipeline', service: 'eval', tables: evalRuntime })
  await p.database.db.execute(sql`create table eval.pipeline_ledger (id text primary key)`)
  tap = await tapEvents(p.connection, p.namespace, 'stage.completed')
})
afterAll(async () => {
  await tap.close()
  await p.close()
})

const ledger = async () => ((await p.database.db.execute(sql`select id from eval.pipeline_ledger order by id`)) as unknown as { id: string }[]).map((r) => r.id)

/** An item that records its id and announces a completed stage. */
const recording = (id: string, stageId = crypto.randomUUID()): WorkItem<Catalogue> => ({
  consumer: 'events',
  messageId: id,
  correlationId: null,
  async apply(tx, emit) {
    await tx.execute(sql`insert into eval.pipeline_ledger (id) values (${id})`)
    emit('stage.completed', { stage_id: stageId, completion_date: '2026-12-01' })
  },
})

test('items that arrive together are applied in one batch, each once; their events are published after commit', async () => {
  const ids = ['a', 'b', 'c'].map((x) => `${x}-${crypto.randomUUID()}`)
  const outcomes = await Promise.all(ids.map((id) => p.pipeline.apply(recording(id))))
  expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'applied', 'applied'])
  expect(await ledger()).toEqual([...ids].sort())
  await expect(p.metrics.render()).resolves.toContain('medtrack_batch_size_bucket{le="5"} 1')
  await waitFor(() => tap.envelopes().length === 3, 5_000, 'three events published')
  expect(tap.envelopes().map((e) => e.causation_id).sort()).toEqual([...ids].sort())
  expect(tap.envelopes().every((e) => e.service === 'eval-service')).toBe(true)
  await waitFor(async () => (await p.pipeline.outbox.backlog()) === 0, 5_000, 'the outbox confirmed')
})

test('an item seen before is a duplicate, not applied again; one that fails rejects with its error, the others applied', async () => {
  const first = `first-${crypto.randomUUID()}`
  await p.pipeline.apply(recording(first))
  const bad: WorkItem<Catalogue> = { consumer: 'events', messageId: crypto.randomUUID(), correlationId: null, apply: async () => Promise.reject(new PermanentError('BROKEN', 'this one cannot be applied')) }
  const good = `good-${crypto.randomUUID()}`
  const [again, failed, applied] = await Promise.allSettled([p.pipeline.apply(recording(first)), p.pipeline.apply(bad), p.pipeline.apply(recording(good))])
  expect(again).toEqual({ status: 'fulfilled', value: { kind: 'duplicate', stored: undefined } })
  expect(failed.status === 'rejected' && (failed.reason as Error).message).toBe('this one cannot be applied')
  expect(applied).toEqual({ status: 'fulfilled', value: { kind: 'applied', stored: undefined } })
  const rows = await ledger()
  expect(rows.filter((id) => id === first)).toHaveLength(1)
  expect(rows).toContain(good)
})

test('idle resolves once nothing is waiting or running: the item in hand is committed, and its event published', async () => {
  const before = tap.envelopes().length
  const pending = p.pipeline.apply(recording(`last-${crypto.randomUUID()}`))
  await p.pipeline.idle()
  expect((await pending).kind).toBe('applied')
  await waitFor(() => tap.envelopes().length === before + 1, 5_000, 'the last event published')
})

test("a queue's events are applied in the order they came, even when the earlier one's batch is slow: a deletion never overtakes a creation", async () => {
  await p.database.db.execute(sql`create table eval.pipeline_people (id text primary key, deleted boolean not null)`)
  await p.database.db.execute(sql`create table eval.pipeline_welcomes (id text primary key)`)
  const person = crypto.randomUUID()
  const event = (apply: WorkItem<Catalogue>['apply']): WorkItem<Catalogue> => ({ consumer: 'events', messageId: crypto.randomUUID(), correlationId: null, apply })
  // Created: a slow handler that welcomes a person it has not met, and no one already deleted.
  const created = event(async (tx) => {
    await tx.execute(sql`select pg_sleep(0.3)`)
    const made = await tx.execute(sql`insert into eval.pipeline_people values (${person}, false) on conflict do nothing returning id`)
    if (made.length === 1) await tx.execute(sql`insert into eval.pipeline_welcomes values (${person})`)
  })
  // Deleted: a tombstone, made if the person is not known yet.
  const deleted = event(async (tx) => {
    await tx.execute(sql`insert into eval.pipeline_people values (${person}, true) on conflict (id) do update set deleted = true`)
  })
  const first = p.pipeline.apply(created)
  // The creation's batch is under way when the deletion comes.
  await Bun.sleep(50)
  await Promise.all([first, p.pipeline.apply(deleted)])
  expect([...(await p.database.db.execute(sql`select id from eval.pipeline_welcomes`))]).toEqual([{ id: person }])
  expect([...(await p.database.db.execute(sql`select deleted from eval.pipeline_people where id = ${person}`))]).toEqual([{ deleted: true }])
})

test('a commit whose answer is lost with the connection: its events, committed, still go out before those committed after it', async () => {
  const toPostgres = await startProxy(5432)
  const cut = await openPieces({
    label: 'pipeline-cut',
    service: 'eval',
    tables: evalRuntime,
    reach: (url) => Object.assign(new URL(url), { port: String(toPostgres.port) }).href,
  })
  const cutTap = await tapEvents(cut.connection, cut.namespace, 'stage.completed')
  try {
    await cut.database.db.execute(sql`create table eval.pipeline_ledger (id text primary key)`)
    const [before, first, second] = ['before', 'first', 'second'].map((x) => `${x}-${crypto.randomUUID()}`) as [string, string, string]
    // Events go out at once, by the fast path.
    await cut.pipeline.apply(recording(before))
    await waitFor(() => cutTap.envelopes().length === 1, 5_000, 'the event before published')
    // Marked sent before the cut, so that nothing of it is left to send again after.
    await waitFor(async () => (await cut.database.db.execute(sql`select 1 from eval.outbox where sent_at is null`)).length === 0, 5_000, 'the event before marked sent')
    const committed = async (id: string) => (await cut.database.db.execute(sql`select 1 from eval.pipeline_ledger where id = ${id}`)).length === 1
    const losing: WorkItem<Catalogue> = {
      ...recording(first),
      async apply(tx, emit) {
        await recording(first).apply(tx, emit)
        // From here on the server's answers are dropped: the COMMIT reaches it, its answer never comes back.
        toPostgres.swallow()
      },
    }
    const lost = rejection(cut.pipeline.apply(losing))
    await waitFor(() => committed(first), 5_000, 'the first item committed')
    await toPostgres.cut()
    await toPostgres.restore()
    expect(await lost).toBeInstanceOf(CommitUnknownError)

    await cut.pipeline.apply(recording(second))
    await waitFor(() => cutTap.envelopes().some((e) => e.causation_id === second), 10_000, 'the second event published')
    expect(cutTap.envelopes().map((e) => e.causation_id)).toEqual([before, first, second])
  } finally {
    await cutTap.close()
    await cut.close()
    toPostgres.stop()
  }
}, 30_000)

/** What a promise rejects with (or undefined if it resolves). */
const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => err)
