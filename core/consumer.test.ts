import { afterEach, describe, expect, test } from 'bun:test'
import type { Connection } from 'rabbitmq-client'
import { catalogue } from '../schemas/events/index.ts'
import { connect, messageCount, testNamespace, waitFor } from '../test/broker.ts'
import {
  createEventConsumer,
  deleteTopology,
  createPublisher,
  createQueueConsumer,
  declareTopology,
  HEADER,
  listDeadLetters,
  Names,
  PermanentError,
  replayDeadLetters,
  TransientError,
  type EventHandlers,
  type QueueConsumer,
} from './index.ts'

const SERVICE = 'core'
const open: { connection: Connection; namespace: string; tiers: number[]; consumers: QueueConsumer[] }[] = []

afterEach(async () => {
  for (const o of open.splice(0)) {
    for (const c of o.consumers) await c.close()
    await deleteTopology(o.connection, { namespace: o.namespace, services: [SERVICE], retryTiers: o.tiers })
    await o.connection.close()
  }
})

async function bus(handlers: EventHandlers<typeof catalogue>, tiers: number[], options: { concurrency?: number; prefetch?: number } = {}) {
  const namespace = testNamespace('consumer')
  const connection = connect()
  const entry = { connection, namespace, tiers, consumers: [] as QueueConsumer[] }
  open.push(entry)
  const start = async () => {
    const c = await createEventConsumer({ connection, catalogue, service: SERVICE, namespace, handlers, topology: { retryTiers: tiers }, ...options })
    entry.consumers.push(c)
    await c.ready
    return c
  }
  const consumer = await start()
  const publisher = createPublisher({ connection, catalogue, service: 'profile', namespace })
  const raw = connection.createPublisher({ confirm: true })
  const names = new Names(namespace)
  const student = (email = `s${Math.random().toString(36).slice(2)}@example.org`) => ({ student_id: crypto.randomUUID(), user_id: crypto.randomUUID(), email })
  return { connection, namespace, consumer, start, publisher, raw, names, student }
}

describe('consumer', () => {
  test('an old-style envelope without event_id is consumed; the same bytes twice carry the same id', async () => {
    const seen: { id: string; messageId: string }[] = []
    const b = await bus({ 'user.deleted': (e, ctx) => void seen.push({ id: e.event_id, messageId: ctx.messageId }) }, [1_000])
    const bytes = Buffer.from(JSON.stringify({ event_type: 'user.deleted', payload: { user_id: crypto.randomUUID() }, service: 'legacy-service', timestamp: '2026-11-26T10:00:00Z', version: '1.0' }))
    for (let i = 0; i < 2; i++) await b.raw.send({ exchange: b.names.events, routingKey: 'student.deleted', contentType: 'application/json' }, bytes)
    // routed as student.deleted but typed in the body as user.deleted: the body's type decides the handler
    await waitFor(() => seen.length === 2)
    expect(seen[0]!.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(seen[0]!.id).toBe(seen[1]!.id)
    expect(seen[0]!.messageId).toBe(seen[0]!.id)
    await b.publisher.close()
    await b.raw.close()
  })

  test('a transient failure is retried after each tier delay and succeeds on a later attempt', async () => {
    const attempts: { attempt: number; at: number }[] = []
    const b = await bus(
      {
        'student.created': (_e, ctx) => {
          attempts.push({ attempt: ctx.attempt, at: performance.now() })
          if (ctx.attempt < 3) throw new TransientError('DB_DOWN', 'database unavailable')
        },
      },
      [500, 1_000, 5_000],
    )
    await b.publisher.publish('student.created', b.student())
    await waitFor(() => b.consumer.stats.handled === 1, 10_000)
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3])
    const firstDelay = attempts[1]!.at - attempts[0]!.at
    const secondDelay = attempts[2]!.at - attempts[1]!.at
    expect(firstDelay).toBeGreaterThanOrEqual(480)
    expect(firstDelay).toBeLessThan(1_000)
    expect(secondDelay).toBeGreaterThanOrEqual(980)
    expect(secondDelay).toBeLessThan(2_000)
    expect(b.consumer.stats).toEqual({ handled: 1, unhandled: 0, retried: 2, dead: 0 })
    expect(await messageCount(b.connection, b.names.deadQueue(SERVICE))).toBe(0)
    await b.publisher.close()
    await b.raw.close()
  })

  test('permanent, non-JSON and exhausted messages land in S.dead with reasons and their body; replay brings one back; the rest kept flowing', async () => {
    let refuse = true
    const handled: string[] = []
    const b = await bus(
      {
        'student.created': (e) => {
          if (e.payload.email.startsWith('refused') && refuse) throw new PermanentError('DOMAIN_RULE', 'student is not enrolled')
          if (e.payload.email.startsWith('flaky')) throw new Error('smtp timeout')
          handled.push(e.payload.email)
        },
      },
      [100, 200],
    )
    const refused = await b.publisher.publish('student.created', b.student('refused@example.org'))
    await b.raw.send({ exchange: b.names.events, routingKey: 'student.created', messageId: 'not-json-1', contentType: 'application/json' }, Buffer.from('{"event_type": oops'))
    const flaky = await b.publisher.publish('student.created', b.student('flaky@example.org'))
    const good = await Promise.all(Array.from({ length: 20 }, (_, i) => b.publisher.publish('student.created', b.student(`good${i}@example.org`))))

    await waitFor(() => b.consumer.stats.dead === 3, 10_000, 'three dead letters')
    expect(handled).toHaveLength(good.length)

    const dead = await listDeadLetters({ connection: b.connection, service: SERVICE, namespace: b.namespace })
    const byId = new Map(dead.map((d) => [d.messageId, d]))
    expect(dead).toHaveLength(3)

    const permanent = byId.get(refused.event_id)!
    expect(permanent.errorClass).toBe('permanent')
    expect(permanent.error).toBe('student is not enrolled')
    expect(permanent.attempts).toBe(1)
    expect(permanent.originalQueue).toBe(b.names.eventQueue(SERVICE))
    expect(Date.parse(permanent.failedAt)).toBeGreaterThan(Date.now() - 60_000)
    expect(JSON.parse(permanent.body)).toEqual(refused)

    const notJson = byId.get('not-json-1')!
    expect(notJson.body).toBe('{"event_type": oops')
    expect(notJson.errorClass).toBe('permanent')
    expect(notJson.error).toBe('message body is not JSON')

    const exhausted = byId.get(flaky.event_id)!
    expect(exhausted.attempts).toBe(3)
    expect(exhausted.errorClass).toBe('transient')
    expect(exhausted.error).toBe('gave up after 3 attempts: smtp timeout')
    for (const d of dead) for (const h of Object.values(HEADER)) expect(d.headers[h]).toBeDefined()

    refuse = false
    const replayed = await replayDeadLetters({ connection: b.connection, service: SERVICE, namespace: b.namespace, ids: [refused.event_id] })
    expect(replayed).toEqual({ count: 1, missing: [] })
    await waitFor(() => handled.includes('refused@example.org'), 5_000, 'the replayed message')
    const left = await listDeadLetters({ connection: b.connection, service: SERVICE, namespace: b.namespace })
    expect(left.map((d) => d.messageId).sort()).toEqual([flaky.event_id, 'not-json-1'].sort())
    await b.publisher.close()
    await b.raw.close()
  })

  test('an event without a handler is acked and counted, not dead-lettered; an invalid one is dead-lettered', async () => {
    const b = await bus({ 'student.created': () => {} }, [1_000])
    await b.publisher.publish('student.deleted', { student_id: crypto.randomUUID(), user_id: crypto.randomUUID() })
    await b.raw.send({ exchange: b.names.events, routingKey: 'student.created', contentType: 'application/json' }, { event_type: 'student.created', version: '1.0', service: 'x', timestamp: new Date().toISOString(), payload: { student_id: 'nope' } })
    await waitFor(() => b.consumer.stats.unhandled === 1 && b.consumer.stats.dead === 1)
    const [dead] = await listDeadLetters({ connection: b.connection, service: SERVICE, namespace: b.namespace })
    expect(dead!.error).toContain('/payload/student_id')
    expect(dead!.error).toContain('/payload/email')
    expect(await messageCount(b.connection, b.names.eventQueue(SERVICE))).toBe(0)
    await b.publisher.close()
    await b.raw.close()
  })

  test('a message that names no event type (none, not a string, empty) is dead-lettered at /event_type, not dropped as unhandled', async () => {
    const b = await bus({ 'student.created': () => {} }, [1_000])
    const valid = { version: '1.0', service: 'x', timestamp: new Date().toISOString(), payload: b.student() }
    for (const [id, body] of [
      ['none', {}],
      ['payload-only', { payload: b.student() }],
      ['number', { ...valid, event_type: 123 }],
      ['empty', { ...valid, event_type: '' }],
    ] as const)
      await b.raw.send({ exchange: b.names.events, routingKey: 'student.created', contentType: 'application/json', messageId: id }, body)
    await waitFor(() => b.consumer.stats.dead === 4)
    expect(b.consumer.stats).toMatchObject({ handled: 0, unhandled: 0, dead: 4 })
    const dead = await listDeadLetters({ connection: b.connection, service: SERVICE, namespace: b.namespace })
    expect(dead.map((d) => d.messageId).sort()).toEqual(['empty', 'none', 'number', 'payload-only'])
    for (const d of dead) {
      expect(d.errorClass).toBe('permanent')
      expect(d.error).toContain('/event_type')
    }
    await b.publisher.close()
    await b.raw.close()
  })

  test('a message nesting deeper than 64 levels, even far too deep to write back recursively, is dead-lettered with its body as it came; the rest keep flowing', async () => {
    const handled: string[] = []
    const b = await bus({ 'student.created': (e) => void handled.push(e.event_id) }, [1_000])
    const deep = `{"event_type":"student.created","version":"1.0","service":"x","timestamp":"2026-11-27T08:00:00Z","payload":{"student_id":"${crypto.randomUUID()}","user_id":"${crypto.randomUUID()}","email":"deep@example.org","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`
    await b.raw.send({ exchange: b.names.events, routingKey: 'student.created', contentType: 'application/json', messageId: 'deep' }, Buffer.from(deep))
    const after = await b.publisher.publish('student.created', b.student())
    await waitFor(() => b.consumer.stats.dead === 1 && handled.includes(after.event_id), 10_000, 'the deep one dead-lettered, the next one handled')
    const [dead] = await listDeadLetters({ connection: b.connection, service: SERVICE, namespace: b.namespace })
    expect(dead).toMatchObject({ messageId: 'deep', errorClass: 'permanent', attempts: 1 })
    expect(dead!.error).toContain('/payload must not nest arrays or objects more than 64 levels deep')
    expect(dead!.body).toBe(deep)
    expect(b.consumer.stats.retried).toBe(0)
    await b.publisher.close()
    await b.raw.close()
  })

  test('close() during a slow handler waits for it, acks it, and leaves the rest in the queue', async () => {
    let started = 0
    const finished: string[] = []
    const b = await bus(
      {
        'student.created': async (e) => {
          started++
          await new Promise((r) => setTimeout(r, 1_500))
          finished.push(e.event_id)
        },
      },
      [1_000],
      { concurrency: 1, prefetch: 2 },
    )
    const sent = await Promise.all([1, 2, 3].map(() => b.publisher.publish('student.created', b.student())))
    await waitFor(() => started === 1)
    await b.consumer.close()
    expect(finished).toEqual([sent[0]!.event_id])
    await waitFor(async () => (await messageCount(b.connection, b.names.eventQueue(SERVICE))) === 2, 5_000, 'unstarted messages back in the queue')

    const again = await b.start()
    await waitFor(() => again.stats.handled === 2, 10_000)
    expect(finished.sort()).toEqual(sent.map((e) => e.event_id).sort())
    await b.publisher.close()
    await b.raw.close()
  })

  test('a message the broker gives up on (past a delivery limit, as RabbitMQ 4 quorum queues have by default) reaches S.dead instead of vanishing', async () => {
    const b = await bus({}, [1_000])
    await b.consumer.close()
    const queue = b.names.eventQueue(SERVICE)
    const policy = `delivery-limit-${b.namespace}`
    const rabbitmqctl = (...args: string[]) => Bun.spawn(['rabbitmqctl', '-q', ...args], { stdout: 'ignore', stderr: 'ignore' }).exited
    expect(await rabbitmqctl('set_policy', '--apply-to', 'queues', policy, `^${queue.replace(/\./g, '\\.')}$`, '{"delivery-limit":1}')).toBe(0)
    try {
      await Bun.sleep(500)
      const sent = await b.publisher.publish('student.created', b.student())
      // A consumer that hands the message back again and again (as one that cannot route its failure does).
      const ch = await b.connection.acquire()
      for (let i = 0; i < 5; i++) {
        const m = await ch.basicGet({ queue })
        if (!m) break
        await ch.basicNack({ deliveryTag: m.deliveryTag, requeue: true })
      }
      await ch.close()
      await waitFor(async () => (await messageCount(b.connection, b.names.deadQueue(SERVICE))) === 1, 5_000, 'the message in S.dead')
      const [letter] = await listDeadLetters({ connection: b.connection, service: SERVICE, namespace: b.namespace })
      expect(letter).toMatchObject({ messageId: sent.event_id, originalQueue: queue, error: 'dead-lettered by the broker: delivery_limit' })
      expect(await messageCount(b.connection, queue)).toBe(0)
      // An operator can send it back where it came from.
      await rabbitmqctl('clear_policy', policy)
      expect(await replayDeadLetters({ connection: b.connection, service: SERVICE, namespace: b.namespace })).toEqual({ count: 1, missing: [] })
      await waitFor(async () => (await messageCount(b.connection, queue)) === 1, 5_000, 'the message back in its queue')
    } finally {
      await rabbitmqctl('clear_policy', policy)
      await b.publisher.close()
      await b.raw.close()
    }
  })

  test('a message that cannot be set aside yet (recording its failure fails) comes back through a retry tier, not handed back at once; set aside once that works', async () => {
    const namespace = testNamespace('consumer')
    const connection = connect()
    const tiers = [200, 400]
    const entry = { connection, namespace, tiers, consumers: [] as QueueConsumer[] }
    open.push(entry)
    const declared = await declareTopology(connection, { namespace, services: [SERVICE], retryTiers: tiers })
    const names = new Names(namespace)
    const deliveries: { redelivered: boolean; attempts: unknown }[] = []
    let recordFails = 2
    const consumer = createQueueConsumer({
      connection,
      service: SERVICE,
      queue: names.commandQueue(SERVICE),
      queueArguments: declared.queues.find((q) => q.queue === names.commandQueue(SERVICE))!.arguments,
      namespace,
      retryTiers: tiers,
      async process({ message }) {
        deliveries.push({ redelivered: message.redelivered === true, attempts: message.headers?.[HEADER.attempts] })
        throw new PermanentError('REFUSED', 'never applies')
      },
      async beforeDeadLetter() {
        if (recordFails-- > 0) throw new Error('database unavailable')
      },
    })
    entry.consumers.push(consumer)
    await consumer.ready
    const raw = connection.createPublisher({ confirm: true })
    await raw.send({ routingKey: names.commandQueue(SERVICE), messageId: 'cmd-1', durable: true }, Buffer.from('{}'))
    await raw.close()
    await waitFor(async () => (await messageCount(connection, names.deadQueue(SERVICE))) === 1, 10_000, 'the message set aside')
    expect(deliveries.map((d) => d.redelivered)).toEqual([false, false, false])
    expect(deliveries.map((d) => d.attempts)).toEqual([undefined, 1, 2])
    const [letter] = await listDeadLetters({ connection, service: SERVICE, namespace })
    expect(letter).toMatchObject({ messageId: 'cmd-1', attempts: 3, errorClass: 'permanent', error: 'never applies' })
  })
})
