/**
 * Throughput of the bus against the bare client, measured in one run. Each round publishes N events with confirms into a quorum queue and consumes
 * them, once through core (validation, envelope, retry routing) and once with
 * bare rabbitmq-client, alternating; the median round of each is reported.
 */
import { Connection } from 'rabbitmq-client'
import { createEventConsumer, createPublisher, declareTopology, deleteTopology } from '../../core/index.ts'
import { catalogue } from '../../schemas/events/index.ts'

const WINDOW = 256
const PREFETCH = 64

interface Lane {
  publish(i: number): Promise<void>
  consumed(): number
  close(): Promise<void>
}

function payload(i: number) {
  return { student_id: crypto.randomUUID(), user_id: crypto.randomUUID(), email: `student${i}@example.org`, first_name: 'Ana', last_name: 'Diallo' }
}

/** Publishes `n` events keeping `WINDOW` unconfirmed at once; resolves when all were consumed. */
async function measure(lane: Lane, n: number): Promise<number> {
  const started = performance.now()
  const before = lane.consumed()
  let next = 0
  const worker = async () => {
    while (next < n) await lane.publish(next++)
  }
  await Promise.all(Array.from({ length: WINDOW }, worker))
  while (lane.consumed() - before < n) await new Promise((r) => setTimeout(r, 2))
  return n / ((performance.now() - started) / 1000)
}

async function busLane(connection: Connection, namespace: string): Promise<Lane> {
  let count = 0
  const consumer = await createEventConsumer({
    connection,
    catalogue,
    service: 'core',
    namespace,
    prefetch: PREFETCH,
    concurrency: PREFETCH,
    handlers: { 'student.created': () => void count++ },
  })
  await consumer.ready
  const publisher = createPublisher({ connection, catalogue, service: 'profile', namespace })
  return {
    publish: async (i) => void (await publisher.publish('student.created', payload(i))),
    consumed: () => count,
    close: async () => (await consumer.close(), await publisher.close()),
  }
}

async function rawLane(connection: Connection, namespace: string): Promise<Lane> {
  const exchange = `${namespace}.raw.events`
  const queue = `${namespace}.raw.queue`
  let count = 0
  await connection.exchangeDeclare({ exchange, type: 'topic', durable: true })
  await connection.queueDeclare({ queue, durable: true, arguments: { 'x-queue-type': 'quorum' } })
  await connection.queueBind({ queue, exchange, routingKey: 'student.*' })
  const consumer = connection.createConsumer(
    { queue, queueOptions: { durable: true, arguments: { 'x-queue-type': 'quorum' } }, qos: { prefetchCount: PREFETCH }, concurrency: PREFETCH },
    () => void count++,
  )
  await new Promise((r) => consumer.once('ready', r))
  const publisher = connection.createPublisher({ confirm: true })
  return {
    async publish(i) {
      const id = crypto.randomUUID()
      const body = { event_id: id, event_type: 'student.created', version: '1.0', service: 'profile-service', timestamp: new Date().toISOString(), correlation_id: id, causation_id: null, payload: payload(i) }
      await publisher.send({ exchange, routingKey: 'student.created', messageId: id, durable: true }, body)
    },
    consumed: () => count,
    async close() {
      await consumer.close()
      await publisher.close()
      await connection.queueDelete({ queue })
      await connection.exchangeDelete({ exchange })
    },
  }
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export async function benchBus(o: { url: string; events: number; rounds: number }) {
  const namespace = `bench-${crypto.randomUUID().slice(0, 8)}`
  const connection = new Connection({ url: o.url, connectionName: 'medtrack-bench' })
  const topology = { namespace, services: ['core'] }
  await declareTopology(connection, topology)
  const bus = await busLane(connection, namespace)
  const raw = await rawLane(connection, namespace)
  try {
    await measure(bus, 500)
    await measure(raw, 500)
    const busRates: number[] = []
    const rawRates: number[] = []
    for (let r = 0; r < o.rounds; r++) {
      rawRates.push(await measure(raw, o.events))
      busRates.push(await measure(bus, o.events))
    }
    const bus_events_per_s = Math.round(median(busRates))
    const raw_events_per_s = Math.round(median(rawRates))
    return { bus_events_per_s, raw_events_per_s, ratio: Number((bus_events_per_s / raw_events_per_s).toFixed(3)) }
  } finally {
    await bus.close()
    await raw.close()
    await deleteTopology(connection, topology)
    await connection.close()
  }
}
