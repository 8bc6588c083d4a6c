import { afterAll, describe, expect, test } from 'bun:test'
import { connect, messageCount, testNamespace, waitFor } from '../test/broker.ts'
import { DomainError, listDeadLetters, Names, NoDeadLetterQueue, purgeDeadLetters, replayDeadLetters, WalkUnderWay } from './index.ts'

const SERVICE = 'eval'
const connection = connect()
const other = connect('medtrack-test-second-operator')
const cleanups: (() => Promise<unknown>)[] = []

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup()
  await other.close()
  await connection.close()
})

/**
 * A service's dead-letter queue, a quorum queue declared with a delivery limit
 * of 2 (RabbitMQ 4 gives every quorum queue one of 20), and the queue its
 * letters failed on, in a namespace of their own; gone after the tests.
 */
async function deadLetterQueue() {
  const names = new Names(testNamespace('dead-letters'))
  const dead = names.deadQueue(SERVICE)
  const original = names.eventQueue(SERVICE)
  await connection.queueDeclare({ queue: dead, durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 2 } })
  await connection.queueDeclare({ queue: original, durable: true, arguments: { 'x-queue-type': 'quorum' } })
  cleanups.push(() => connection.queueDelete({ queue: dead }), () => connection.queueDelete({ queue: original }))
  return { namespace: names.namespace, dead, original }
}

/** Letters as a consumer leaves them in `S.dead`: the original body and properties, and the failure headers. */
async function deadLetters(q: { dead: string; original: string }, count: number, prefix = 'letter'): Promise<string[]> {
  const publisher = connection.createPublisher({ confirm: true })
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}-${crypto.randomUUID()}`)
  for (const [i, id] of ids.entries()) await publisher.send({ routingKey: q.dead, durable: true, messageId: id, type: 'grade.assigned', correlationId: `correlation-${i}`, headers: letterHeaders(q.original, i) }, { event_id: id, event_type: 'grade.assigned', payload: { n: i } })
  await publisher.close()
  return ids
}

function letterHeaders(original: string, i: number) {
  return { 'x-medtrack-error': `refused ${i}`, 'x-medtrack-error-class': 'permanent', 'x-medtrack-attempts': 1, 'x-medtrack-failed-at': `2026-12-02T06:00:0${i % 10}.000Z`, 'x-medtrack-original-queue': original }
}

/** Takes every message off `queue` (acked), oldest first. */
async function drain(queue: string) {
  const ch = await connection.acquire()
  const out = []
  for (let m = await ch.basicGet({ queue }); m; m = await ch.basicGet({ queue })) {
    out.push(m)
    ch.basicAck({ deliveryTag: m.deliveryTag })
  }
  await ch.close()
  return out
}

describe('dead letters are read, replayed and purged without being redelivered', () => {
  test('listed five times on a queue whose delivery limit is 2, every letter is still there once, in order, with its headers and body', async () => {
    const q = await deadLetterQueue()
    const ids = await deadLetters(q, 40)
    for (let round = 0; round < 5; round++) {
      const letters = await listDeadLetters({ connection, service: SERVICE, namespace: q.namespace })
      expect(letters.map((d) => d.messageId)).toEqual(ids)
      expect(letters.map((d) => d.error)).toEqual(ids.map((_, i) => `refused ${i}`))
      for (const [i, d] of letters.entries()) {
        expect(d.headers).toMatchObject(letterHeaders(q.original, i))
        expect(JSON.parse(d.body)).toEqual({ event_id: ids[i], event_type: 'grade.assigned', payload: { n: i } })
        expect(d).toMatchObject({ type: 'grade.assigned', errorClass: 'permanent', attempts: 1, originalQueue: q.original })
      }
    }
    expect(await messageCount(connection, q.dead)).toBe(40)
    const kept = await drain(q.dead)
    expect(kept.map((m) => [m.messageId, m.type, m.correlationId, m.durable])).toEqual(ids.map((id, i) => [id, 'grade.assigned', `correlation-${i}`, true]))
    // Never delivered twice: a quorum queue counts a message's deliveries in this header.
    expect(kept.filter((m) => m.redelivered || Number(m.headers?.['x-delivery-count'] ?? 0) > 0)).toEqual([])
  })

  test('a replay and a purge by ids touch only those letters; the others stay, in order, through more lists', async () => {
    const q = await deadLetterQueue()
    const ids = await deadLetters(q, 6)
    const o = { connection, service: SERVICE, namespace: q.namespace }
    expect(await replayDeadLetters({ ...o, ids: [ids[1]!, ids[4]!] })).toEqual({ count: 2, missing: [] })
    expect(await purgeDeadLetters({ ...o, ids: [ids[2]!, 'no-such-id'] })).toEqual({ count: 1, missing: ['no-such-id'] })
    for (let round = 0; round < 3; round++) expect((await listDeadLetters(o)).map((d) => d.messageId)).toEqual([0, 3, 5].map((i) => ids[i]!))
    const replayed = await drain(q.original)
    expect(replayed.map((m) => m.messageId)).toEqual([ids[1], ids[4]])
    for (const m of replayed) {
      expect(m.headers?.['x-medtrack-error']).toBeUndefined()
      expect(m.headers?.['x-medtrack-original-queue']).toBe(q.original)
      expect(m.headers?.['x-medtrack-replay']).toBeString()
      expect(m.body).toMatchObject({ event_id: m.messageId, event_type: 'grade.assigned' })
    }
    expect(await replayDeadLetters(o)).toEqual({ count: 3, missing: [] })
    expect((await drain(q.original)).map((m) => m.messageId)).toEqual([0, 3, 5].map((i) => ids[i]!))
    expect(await listDeadLetters(o)).toEqual([])
  })

  test('a letter whose queue is not there any more is kept, not replayed into nothing', async () => {
    const q = await deadLetterQueue()
    const [id] = await deadLetters(q, 1)
    await connection.queueDelete({ queue: q.original })
    const o = { connection, service: SERVICE, namespace: q.namespace }
    expect(await replayDeadLetters(o)).toEqual({ count: 0, missing: [] })
    expect(await replayDeadLetters({ ...o, ids: [id!] })).toEqual({ count: 0, missing: [] })
    expect((await listDeadLetters(o)).map((d) => d.messageId)).toEqual([id!])
  })

  test('a letter left twice (by a walk stopped between its copy and its removal) is listed once, and replayed once', async () => {
    const q = await deadLetterQueue()
    const ids = await deadLetters(q, 3)
    const ch = await connection.acquire()
    await ch.basicPublish({ routingKey: q.dead, durable: true, messageId: ids[1], headers: letterHeaders(q.original, 1) }, { event_id: ids[1], event_type: 'grade.assigned', payload: { n: 1 } })
    await ch.close()
    await waitFor(async () => (await messageCount(connection, q.dead)) === 4)
    const o = { connection, service: SERVICE, namespace: q.namespace }
    expect((await listDeadLetters(o)).map((d) => d.messageId)).toEqual(ids)
    expect(await messageCount(connection, q.dead)).toBe(3)
    expect(await replayDeadLetters({ ...o, ids: [ids[1]!] })).toEqual({ count: 1, missing: [] })
    expect((await drain(q.original)).map((m) => m.messageId)).toEqual([ids[1]])
  })

  test('two operators at once, each on its own connection, listing and replaying: every list is whole, no letter lost or doubled', async () => {
    const q = await deadLetterQueue()
    const ids = await deadLetters(q, 40)
    const a = { connection, service: SERVICE, namespace: q.namespace }
    const b = { connection: other, service: SERVICE, namespace: q.namespace }
    const replayedIds = ids.filter((_, i) => i % 3 === 0)
    const left = ids.filter((_, i) => i % 3 !== 0)
    const [listA, listB, replayed, listB2, listA2] = await Promise.all([listDeadLetters(a), listDeadLetters(b), replayDeadLetters({ ...b, ids: replayedIds }), listDeadLetters(b), listDeadLetters(a)])
    expect(replayed).toEqual({ count: replayedIds.length, missing: [] })
    for (const list of [listA, listB, listB2, listA2]) expect([ids, left]).toContainEqual(list.map((d) => d.messageId))
    expect((await listDeadLetters(b)).map((d) => d.messageId)).toEqual(left)
    expect(await messageCount(connection, q.dead)).toBe(left.length)
    expect((await drain(q.original)).map((m) => m.messageId)).toEqual(replayedIds)
  })

  test('a walk waits while another process holds the queue, and goes on once it lets go', async () => {
    const q = await deadLetterQueue()
    const ids = await deadLetters(q, 2)
    const ch = await other.acquire()
    await ch.queueDeclare({ queue: `${q.dead}.walk`, exclusive: true, arguments: { 'x-queue-type': 'classic' } })
    let listed: string[] | undefined
    const listing = listDeadLetters({ connection, service: SERVICE, namespace: q.namespace }).then((l) => (listed = l.map((d) => d.messageId)))
    await new Promise((r) => setTimeout(r, 500))
    expect(listed).toBeUndefined()
    await ch.queueDelete({ queue: `${q.dead}.walk` })
    await ch.close()
    await listing
    expect(listed).toEqual(ids)
  })

  test('a walk told to wait a second for another one gives up after it, saying so; one of a namespace with no such queue says there is none', async () => {
    const q = await deadLetterQueue()
    await deadLetters(q, 1)
    const ch = await other.acquire()
    await ch.queueDeclare({ queue: `${q.dead}.walk`, exclusive: true, arguments: { 'x-queue-type': 'classic' } })
    const started = performance.now()
    const listing = listDeadLetters({ connection, service: SERVICE, namespace: q.namespace, turnWaitMs: 1_000 })
    await expect(listing).rejects.toBeInstanceOf(WalkUnderWay)
    await expect(listing).rejects.toThrow(`another walk of ${q.dead} has held it for more than 1 s: try again once it ends`)
    expect(performance.now() - started).toBeLessThan(3_000)
    await ch.queueDelete({ queue: `${q.dead}.walk` })
    await ch.close()
    const none = { connection, service: SERVICE, namespace: testNamespace('none') }
    for (const act of [listDeadLetters(none), replayDeadLetters(none), purgeDeadLetters(none)]) await expect(act).rejects.toBeInstanceOf(NoDeadLetterQueue)
  })

  test('a copy the broker refuses (its queue is full) fails the replay with a 409 saying where and why; every letter is back in S.dead at once, in order, none delivered twice', async () => {
    const names = new Names(testNamespace('dead-letters'))
    const q = { namespace: names.namespace, dead: names.deadQueue(SERVICE), original: names.eventQueue(SERVICE) }
    await connection.queueDeclare({ queue: q.dead, durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 2 } })
    await connection.queueDeclare({ queue: q.original, durable: true, arguments: { 'x-queue-type': 'quorum', 'x-max-length': 1, 'x-overflow': 'reject-publish' } })
    cleanups.push(() => connection.queueDelete({ queue: q.dead }), () => connection.queueDelete({ queue: q.original }))
    // A quorum queue refuses publishes a little after it is full: filled until it does.
    const filler = connection.createPublisher({ confirm: true })
    for (let i = 0, refused = false; !refused && i < 100; i++) refused = await filler.send({ routingKey: q.original, durable: true }, 'already there').then(() => false, () => true)
    await filler.close()
    const full = await messageCount(connection, q.original)
    const ids = await deadLetters(q, 3)
    const o = { connection, service: SERVICE, namespace: q.namespace }
    const refusal = await replayDeadLetters(o).then(() => undefined, (err: unknown) => err)
    expect(refusal).toBeInstanceOf(DomainError)
    expect(refusal).toMatchObject({ status: 409, code: 'COPY_REFUSED', message: `the broker took no copy of ${ids[0]} into ${q.original}: message rejected by server (a full queue refuses them); the letters not yet moved stay in ${q.dead}` })
    expect(await messageCount(connection, q.dead)).toBe(3)
    const kept = await drain(q.dead)
    expect(kept.map((m) => m.messageId)).toEqual(ids)
    expect(kept.map((m) => [m.redelivered, Number(m.headers?.['x-delivery-count'] ?? 0)])).toEqual(ids.map(() => [false, 0]))
    expect(kept.map((m) => m.headers)).toEqual(ids.map((_, i) => expect.objectContaining(letterHeaders(q.original, i))))
    expect(await messageCount(connection, q.original)).toBe(full)
  })

  test('a terminal killed in the middle of a walk leaves every letter there, none lost; the next list shows each once', async () => {
    const q = await deadLetterQueue()
    const publisher = connection.createPublisher({ confirm: true })
    const ids = Array.from({ length: 1_500 }, (_, i) => `killed-${i}`)
    await Promise.all(ids.map((id, i) => publisher.send({ routingKey: q.dead, durable: true, messageId: id, headers: letterHeaders(q.original, i) }, { event_id: id })))
    await publisher.close()
    const p = Bun.spawn(['bun', 'scripts/dlq.ts', 'list', SERVICE], { cwd: `${import.meta.dir}/..`, env: { ...process.env, MEDTRACK_NAMESPACE: q.namespace }, stdout: 'ignore', stderr: 'ignore' })
    // The walk holds its lock queue from its first letter to its last.
    const walking = () => other.queueDeclare({ queue: `${q.dead}.walk`, passive: true }).then(() => true, (err: { code?: string }) => err.code === 'RESOURCE_LOCKED')
    await waitFor(walking, 10_000, 'the walk under way')
    await new Promise((r) => setTimeout(r, 300))
    p.kill('SIGKILL')
    await p.exited
    await waitFor(async () => !(await walking()), 10_000, 'the killed walk\'s lock gone with its connection')
    const listed = (await listDeadLetters({ connection, service: SERVICE, namespace: q.namespace })).map((d) => d.messageId)
    expect(listed).toHaveLength(ids.length)
    expect([...listed].sort()).toEqual([...ids].sort())
    expect(await messageCount(connection, q.dead)).toBe(ids.length)
  }, 30_000)

  test('purge of every letter removes those there when it began, each counted once (one left twice too), and says how many', async () => {
    const q = await deadLetterQueue()
    const ids = await deadLetters(q, 4)
    const ch = await connection.acquire()
    await ch.basicPublish({ routingKey: q.dead, durable: true, messageId: ids[2], headers: letterHeaders(q.original, 2) }, { event_id: ids[2], event_type: 'grade.assigned', payload: { n: 2 } })
    await ch.close()
    await waitFor(async () => (await messageCount(connection, q.dead)) === 5)
    const o = { connection, service: SERVICE, namespace: q.namespace }
    expect(await purgeDeadLetters(o)).toEqual({ count: 4, missing: [] })
    expect(await messageCount(connection, q.dead)).toBe(0)
  })
})
