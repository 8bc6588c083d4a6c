import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import type { AsyncMessage } from 'rabbitmq-client'
import { profileRuntime } from '../schemas/db/profile.ts'
import { catalogue } from '../schemas/events/index.ts'
import { connect, tapEvents, testNamespace, waitFor, type EventTap } from '../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../test/database.ts'
import { compileCatalogue, createOutbox, createPublisher, createUnitOfWork, deleteTopology, type WorkItem } from './index.ts'

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
