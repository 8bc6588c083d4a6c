import { afterEach, describe, expect, test } from 'bun:test'
import { createServer, type Server } from 'node:net'
import { Connection } from 'rabbitmq-client'
import { catalogue } from '../schemas/events/index.ts'
import { connect, dropConnection, tapEvents, testNamespace, waitFor } from '../test/broker.ts'
import { createEventConsumer, createPublisher, deleteTopology, PublishTimeoutError, ValidationError, type QueueConsumer } from './index.ts'

const done: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of done.splice(0).reverse()) await f()
})

/** A publisher in a namespace of its own, and every event of that namespace from now on, to see exactly what reached the wire. */
async function tappedPublisher() {
  const namespace = testNamespace('pub')
  const connection = connect()
  done.push(async () => (await deleteTopology(connection, { namespace, services: [] }), await connection.close()))
  const tap = await tapEvents(connection, namespace)
  done.push(() => tap.close())
  const publisher = createPublisher({ connection, catalogue, service: 'profile', namespace })
  done.push(() => publisher.close())
  return { seen: tap.messages, publisher }
}

function student() {
  return { student_id: crypto.randomUUID(), user_id: crypto.randomUUID(), email: `s${Math.random().toString(36).slice(2)}@example.org` }
}

describe('publisher', () => {
  test('publishes a persistent event with the wire properties and the ids it was given', async () => {
    const { seen, publisher } = await tappedPublisher()

    const envelope = await publisher.publish('student.created', student(), { correlationId: 'req-123', causationId: 'cmd-9' })
    await waitFor(() => seen.length === 1)
    const m = seen[0]!
    expect(m.routingKey).toBe('student.created')
    expect(m.messageId).toBe(envelope.event_id)
    expect(m.type).toBe('student.created')
    expect(m.contentType).toBe('application/json')
    expect(m.durable).toBe(true)
    expect(m.correlationId).toBe('req-123')
    expect(m.timestamp).toBe(Math.floor(Date.parse(envelope.timestamp) / 1000))
    expect(m.body).toEqual({ ...envelope, service: 'profile-service', correlation_id: 'req-123', causation_id: 'cmd-9' })
  })

  test('an invalid event is rejected with every path and never reaches the wire', async () => {
    const { seen, publisher } = await tappedPublisher()

    const attempt = publisher.publish('student.created', { student_id: 'x', user_id: crypto.randomUUID() } as never)
    const err = await attempt.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).problems.map((p) => p.path).sort()).toEqual(['/payload/email', '/payload/student_id'])
    await publisher.publish('student.deleted', { student_id: crypto.randomUUID(), user_id: crypto.randomUUID() })
    await waitFor(() => seen.length === 1)
    expect(seen.map((m) => m.routingKey)).toEqual(['student.deleted'])
  })

  test('rejects with a transient PublishTimeoutError when the broker cannot confirm in time', async () => {
    const silent: Server = createServer(() => {})
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const port = (silent.address() as { port: number }).port
    const connection = new Connection({ url: `amqp://guest:guest@127.0.0.1:${port}`, connectionTimeout: 60_000 })
    connection.on('error', () => {})
    const publisher = createPublisher({ connection, catalogue, service: 'profile', confirmTimeoutMs: 300 })
    const started = performance.now()
    const err = await publisher.publish('student.created', student()).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PublishTimeoutError)
    expect((err as PublishTimeoutError).transient).toBe(true)
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    connection.unsafeDestroy()
    silent.close()
  })

  test('the broker dropping the connection loses no confirmed message, and consumers resume', async () => {
    const namespace = testNamespace('drop')
    const name = `medtrack-test-drop-${namespace}`
    const connection = connect(name)
    let connects = 0
    connection.on('connection', () => connects++)
    const received = new Set<string>()
    const consumer: QueueConsumer = await createEventConsumer({
      connection,
      catalogue,
      service: 'core',
      namespace,
      handlers: { 'student.created': (e) => void received.add(e.event_id) },
    })
    await consumer.ready
    const publisher = createPublisher({ connection, catalogue, service: 'profile', namespace, confirmTimeoutMs: 10_000 })
    done.push(async () => {
      await consumer.close()
      await publisher.close()
      await deleteTopology(connection, { namespace, services: ['core'] })
      await connection.close()
    })

    const confirmed: string[] = []
    let attempted = 0
    let failed = 0
    const sendBatch = () =>
      Promise.all(
        Array.from({ length: 20 }, () => {
          attempted++
          return publisher.publish('student.created', student()).then(
            (e) => void confirmed.push(e.event_id),
            () => void failed++,
          )
        }),
      )
    await sendBatch()
    let pumping = true
    const pump = (async () => {
      while (pumping) await sendBatch()
    })()
    await dropConnection(name)
    await waitFor(() => connects === 2 && connection.ready, 10_000, 'reconnection')
    await sendBatch()
    pumping = false
    await pump

    await waitFor(() => confirmed.every((id) => received.has(id)), 15_000, 'every confirmed event consumed')
    expect(confirmed.length).toBeGreaterThanOrEqual(60)
    expect(confirmed.length + failed).toBe(attempted)
    expect(consumer.stats.handled).toBeGreaterThanOrEqual(confirmed.length)
  })
})
