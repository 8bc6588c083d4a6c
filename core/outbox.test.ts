import { afterAll, beforeAll, describe, expect, setSystemTime, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import type { AsyncMessage } from 'rabbitmq-client'
import { profileRuntime } from '../schemas/db/profile.ts'
import { catalogue } from '../schemas/events/index.ts'
import { connect, tapEvents, testNamespace, waitFor, type EventTap } from '../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../test/database.ts'
import { compileCatalogue, createOutbox, createPublisher, createUnitOfWork, deleteTopology, PublishTimeoutError, type Envelope, type EventPublisher, type WorkItem } from './index.ts'

const namespace = testNamespace('outbox')
const connection = connect()
const publisher = createPublisher({ connection, catalogue, service: 'profile', namespace })
let seen: AsyncMessage[]
let database: TestDatabase
let tap: EventTap

beforeAll(async () => {
  database = await createTestDatabase('outbox')
  tap = await tapEvents(connection, namespace)
  seen = tap.messages
})
afterAll(async () => {
  await tap.close()
  await publisher.close()
  await deleteTopology(connection, { namespace, services: [] })
  await connection.close()
  await database.drop()
})

const uow = () => createUnitOfWork({ db: database.db, tables: profileRuntime, catalogue, validator: compileCatalogue(catalogue), service: 'profile' })
const deleted = (n: number): WorkItem<typeof catalogue> => ({
  consumer: 'events',
  messageId: crypto.randomUUID(),
  correlationId: null,
  async apply(_tx, emit) {
    emit('student.deleted', { student_id: crypto.randomUUID(), user_id: crypto.randomUUID(), n } as never)
  },
})

describe('outbox', () => {
  test('a crash after commit and before publish: the relay publishes the events, in order, and marks them sent', async () => {
    seen.length = 0
    const { committed } = await uow().run(Array.from({ length: 5 }, (_, i) => deleted(i)))
    // The process "died" here: publishCommitted was never called.
    const outbox = createOutbox({ db: database.db, tables: profileRuntime, publisher, relayAfterMs: 0 })
    expect(await outbox.backlog()).toBe(5)
    expect(await outbox.relayOnce()).toBe(5)
    await waitFor(() => seen.length === 5)
    expect(seen.map((m) => m.messageId)).toEqual(committed.map((r) => r.envelope.event_id))
    expect(seen.map((m) => (m.body as { payload: { n: number } }).payload.n)).toEqual([0, 1, 2, 3, 4])
    expect(await outbox.backlog()).toBe(0)
    expect(await outbox.relayOnce()).toBe(0)
  })

  test('rows younger than relayAfterMs are left to the process that wrote them', async () => {
    await uow().run([deleted(0)])
    const outbox = createOutbox({ db: database.db, tables: profileRuntime, publisher, relayAfterMs: 60_000 })
    expect(await outbox.relayOnce()).toBe(0)
    expect(await outbox.backlog()).toBe(1)
    await database.db.execute(sql`update profile.outbox set sent_at = now()`)
  })

  test('two relays at once (two replicas) publish each row once, in order', async () => {
    seen.length = 0
    const { committed } = await uow().run(Array.from({ length: 300 }, (_, i) => deleted(i)))
    const make = () => createOutbox({ db: database.db, tables: profileRuntime, publisher, relayAfterMs: 0, relayBatch: 100 })
    const [a, b] = [make(), make()]
    let total = 0
    while ((await a.backlog()) > 0) total += (await Promise.all([a.relayOnce(), b.relayOnce()])).reduce((x, y) => x + y, 0)
    expect(total).toBe(300)
    await waitFor(() => seen.length === 300)
    expect(seen.map((m) => m.messageId)).toEqual(committed.map((r) => r.envelope.event_id))
  })

  test('publishCommitted publishes at once and marks the rows sent', async () => {
    seen.length = 0
    const outbox = createOutbox({ db: database.db, tables: profileRuntime, publisher })
    const { committed } = await uow().run([deleted(7)])
    outbox.publishCommitted(committed)
    await outbox.idle()
    await waitFor(() => seen.length === 1)
    expect(await outbox.backlog()).toBe(0)
  })

  test('a publish that fails (a confirm timeout) holds back the rows after it: the broker sees every row in commit order, once the relay has sent the failed one', async () => {
    seen.length = 0
    // A stub only in front of the real publisher, as a broker cannot be made to stall on one chosen message:
    // from that message on, for a moment, nothing published reaches the broker and each publish times out.
    const failing = new Set<string>()
    let stalledUntil = 0
    const flaky: EventPublisher<typeof catalogue> = {
      ...publisher,
      async publishEnvelope(envelope: Envelope, options?: { validated?: boolean }) {
        if (failing.delete(envelope.event_id)) stalledUntil = Date.now() + 30
        if (Date.now() < stalledUntil) throw new PublishTimeoutError(30)
        return publisher.publishEnvelope(envelope, options)
      },
    }
    const outbox = createOutbox({ db: database.db, tables: profileRuntime, publisher: flaky, relayAfterMs: 60_000, retryMs: 50 })
    const committed = []
    for (let n = 0; n < 6; n++) {
      const done = await uow().run([deleted(n)])
      if (n === 2) failing.add(done.committed[0]!.envelope.event_id)
      // As a worker does: each transaction's rows handed over as it commits.
      outbox.publishCommitted(done.committed)
      committed.push(...done.committed)
    }
    await outbox.idle()
    await waitFor(() => seen.length >= 6, 5_000, 'every row at the broker')
    await Bun.sleep(200)
    const order = seen.map((m) => (m.body as { payload: { n: number } }).payload.n)
    expect(order.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5])
    expect(new Set(seen.map((m) => m.messageId))).toEqual(new Set(committed.map((r) => r.envelope.event_id)))
    expect(await outbox.backlog()).toBe(0)
    expect(outbox.pending()).toBe(0)
  })

  test('while the broker confirms nothing, rows pile up in the fast path and room() waits; the relay leaves those rows to it; once confirmed, room() resolves and each row went out once', async () => {
    seen.length = 0
    let release = () => {}
    const released = new Promise<void>((r) => (release = r))
    const stalled: EventPublisher<typeof catalogue> = {
      ...publisher,
      async publishEnvelope(envelope: Envelope, options?: { validated?: boolean }) {
        await released
        return publisher.publishEnvelope(envelope, options)
      },
    }
    const outbox = createOutbox({ db: database.db, tables: profileRuntime, publisher: stalled, relayAfterMs: 0 })
    for (let n = 0; n < 5; n++) outbox.publishCommitted((await uow().run([deleted(n)])).committed)
    let roomy = false
    const room = outbox.room(2).then(() => (roomy = true))
    await Bun.sleep(100)
    expect(outbox.pending()).toBe(5)
    expect(roomy).toBe(false)
    // Unsent and older than relayAfterMs, but this process's fast path holds them.
    expect(await outbox.relayOnce()).toBe(0)
    release()
    await room
    await outbox.idle()
    await waitFor(() => seen.length === 5, 5_000, 'the rows at the broker')
    await Bun.sleep(200)
    expect(seen.map((m) => (m.body as { payload: { n: number } }).payload.n)).toEqual([0, 1, 2, 3, 4])
  })

  test('shutting down while the broker takes nothing: close() lets every waiter for room go and idle() ends; the rows stay unsent for the relay', async () => {
    const refusing: EventPublisher<typeof catalogue> = {
      ...publisher,
      async publishEnvelope() {
        throw new PublishTimeoutError(10)
      },
    }
    const outbox = createOutbox({ db: database.db, tables: profileRuntime, publisher: refusing, relayAfterMs: 60_000, retryMs: 20 })
    const ids: number[] = []
    for (let n = 0; n < 4; n++) {
      const { committed } = await uow().run([deleted(n)])
      outbox.publishCommitted(committed)
      ids.push(...committed.map((r) => r.id))
    }
    const room = outbox.room(1)
    await Bun.sleep(100)
    outbox.close()
    await room
    await outbox.idle()
    const unsent = (await database.db.execute(sql`select count(*)::int as n from profile.outbox where sent_at is null and id = any(${sql.param(ids)}::bigint[])`)) as unknown as { n: number }[]
    expect(unsent[0]!.n).toBe(4)
    await database.db.execute(sql`update profile.outbox set sent_at = now() where sent_at is null`)
  })

  test('the relay and the prune go by the database\'s clock, not the worker\'s: a worker whose clock runs two days ahead relays and prunes nothing young', async () => {
    await database.db.execute(sql`update profile.outbox set sent_at = now() where sent_at is null`)
    const { committed } = await uow().run([deleted(1)])
    const outbox = createOutbox({ db: database.db, tables: profileRuntime, publisher, relayAfterMs: 60_000 })
    setSystemTime(new Date(Date.now() + 2 * 86_400_000))
    try {
      expect(await outbox.relayOnce()).toBe(0)
      expect(await outbox.prune(86_400_000)).toEqual({ inbox: 0, outbox: 0 })
    } finally {
      setSystemTime()
    }
    const [row] = (await database.db.execute(sql`select sent_at from profile.outbox where id = ${committed[0]!.id}`)) as unknown as { sent_at: string | null }[]
    expect(row!.sent_at).toBeNull()
    await database.db.execute(sql`update profile.outbox set sent_at = now() where sent_at is null`)
  })

  test('prune removes inbox rows and sent outbox rows past the retention', async () => {
    await database.db.execute(sql`update profile.inbox set received_at = now() - interval '2 days'`)
    await database.db.execute(sql`update profile.outbox set sent_at = now() - interval '2 days' where sent_at is not null`)
    await uow().run([deleted(1)])
    const outbox = createOutbox({ db: database.db, tables: profileRuntime, publisher })
    const pruned = await outbox.prune(86_400_000)
    expect(pruned.inbox).toBeGreaterThan(300)
    expect(pruned.outbox).toBeGreaterThan(300)
    const [left] = (await database.db.execute(sql`select count(*)::int as n from profile.inbox`)) as unknown as { n: number }[]
    expect(left!.n).toBe(1)
  })
})
