import { afterAll, expect, test } from 'bun:test'
import type { Socket } from 'node:net'
import { Connection } from 'rabbitmq-client'
import { connect, testNamespace, waitFor } from '../test/broker.ts'
import { startProxy } from '../test/tcp-proxy.ts'
import { BrokerConnection } from './index.ts'

const queue = `${testNamespace('connection')}.q`
const admin = connect()
const proxy = await startProxy(5672)

afterAll(async () => {
  await admin.queueDelete({ queue })
  await admin.close()
  proxy.stop()
})

/** Counts the socket's writes to the kernel from now on (Node streams make them through _write/_writev). */
function countWrites(connection: Connection): () => number {
  const socket = (connection as unknown as { _socket: Socket & Record<string, (...a: unknown[]) => unknown> })._socket
  let writes = 0
  for (const method of ['_write', '_writev']) {
    const original = socket[method]!.bind(socket)
    socket[method] = (...args: unknown[]) => (writes++, original(...args))
  }
  return () => writes
}

/** Publishes 100 messages in one turn of the event loop, with confirms; resolves with the writes it took. */
async function publishHundred(connection: Connection, from: number): Promise<number> {
  const writes = countWrites(connection)
  const publisher = connection.createPublisher({ confirm: true })
  await Promise.all(Array.from({ length: 100 }, (_, i) => publisher.send({ routingKey: queue, durable: true }, { n: from + i })))
  await publisher.close()
  return writes()
}

test('a hundred messages sent in one turn leave in a few writes (the bare client makes about one each), and all arrive in order, also after a reconnect', async () => {
  await admin.queueDeclare({ queue, durable: true, arguments: { 'x-queue-type': 'quorum' } })
  const bare = new Connection('amqp://guest:guest@127.0.0.1:5672')
  await bare.onConnect()
  const bareWrites = await publishHundred(bare, 0)
  await bare.close()

  const connection = new BrokerConnection({ url: `amqp://guest:guest@127.0.0.1:${proxy.port}`, retryLow: 50, retryHigh: 200 })
  connection.on('error', () => {})
  await connection.onConnect()
  const writes = await publishHundred(connection, 100)
  const reconnected = new Promise((resolve) => connection.once('connection', resolve))
  await proxy.cut()
  await proxy.restore()
  await reconnected
  const writesAfter = await publishHundred(connection, 200)
  await connection.close()

  expect(bareWrites).toBeGreaterThanOrEqual(100)
  expect(writes).toBeLessThanOrEqual(10)
  expect(writesAfter).toBeLessThanOrEqual(10)
  const received: number[] = []
  const consumer = admin.createConsumer({ queue, queueOptions: { durable: true, arguments: { 'x-queue-type': 'quorum' } } }, (m) => void received.push((m.body as { n: number }).n))
  await waitFor(() => received.length === 300, 5_000, 'three hundred messages')
  await consumer.close()
  expect(received).toEqual(Array.from({ length: 300 }, (_, i) => i))
})

test('ready stays true while the writes of a turn are held back, and the held writes still leave', async () => {
  const connection = new BrokerConnection('amqp://guest:guest@127.0.0.1:5672')
  await connection.onConnect()
  const publisher = connection.createPublisher({ confirm: true })
  await publisher.send({ routingKey: queue, durable: true }, { warm: true })
  const sent = publisher.send({ routingKey: queue, durable: true }, { n: -1 })
  await new Promise((r) => queueMicrotask(() => r(null)))
  const during = connection.ready
  await sent
  expect(during).toBe(true)
  expect(connection.ready).toBe(true)
  await publisher.close()
  await connection.close()
})
