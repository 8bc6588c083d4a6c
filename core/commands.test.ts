import { afterAll, expect, test } from 'bun:test'
import { Connection } from 'rabbitmq-client'
import { connect, messageCount, testNamespace, waitFor } from '../test/broker.ts'
import { startProxy } from '../test/tcp-proxy.ts'
import { createCommandDispatcher, Names, TransientError } from './index.ts'

const namespace = testNamespace('commands')
const connection = connect()
const exchange = new Names(namespace).commands

afterAll(async () => {
  await connection.exchangeDelete({ exchange })
  await connection.close()
})

test('a command no queue takes is refused at once (BROKER_UNAVAILABLE: the API answers 503), not left to wait for a reply that cannot come', async () => {
  await connection.exchangeDeclare({ exchange, type: 'direct', durable: true })
  const dispatcher = createCommandDispatcher({ connection, namespace, waitMs: 5_000 })
  try {
    const started = performance.now()
    const sent = dispatcher.dispatch({ command_id: crypto.randomUUID(), command_type: 'profile.create_student', correlation_id: null, actor: { user_id: null, role: 'admin' }, payload: {} })
    await expect(sent).rejects.toBeInstanceOf(TransientError)
    await expect(sent).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE', message: 'no queue takes profile.create_student' })
    expect(performance.now() - started).toBeLessThan(2_000)
  } finally {
    await dispatcher.close()
  }
})

test('the link breaks after the broker took the command but before its confirm came back: "accepted" (the API answers 202 with the operation), not "not taken", and the command is in its queue', async () => {
  await connection.exchangeDeclare({ exchange, type: 'direct', durable: true })
  const queue = `${namespace}.profile.commands`
  await connection.queueDeclare({ queue, durable: true, exclusive: false })
  await connection.queueBind({ queue, exchange, routingKey: 'profile.create_student' })
  const proxy = await startProxy(5672)
  const viaProxy = new Connection({ url: `amqp://guest:guest@127.0.0.1:${proxy.port}`, retryLow: 100, retryHigh: 500 })
  viaProxy.on('error', () => {})
  const dispatcher = createCommandDispatcher({ connection: viaProxy, namespace, waitMs: 500, confirmTimeoutMs: 10_000 })
  try {
    // A first command opens the channel, so the next one is written at once.
    await dispatcher.dispatch({ command_id: crypto.randomUUID(), command_type: 'profile.create_student', correlation_id: null, actor: { user_id: null, role: 'admin' }, payload: {} }).catch(() => undefined)
    await connection.queuePurge({ queue })
    proxy.swallow()
    const sent = dispatcher.dispatch({ command_id: crypto.randomUUID(), command_type: 'profile.create_student', correlation_id: null, actor: { user_id: null, role: 'admin' }, payload: {} })
    await waitFor(async () => (await messageCount(connection, queue)) === 1, 5_000, 'the command in its queue')
    await proxy.cut()
    expect(await sent).toEqual({ kind: 'accepted' })
    expect(await messageCount(connection, queue)).toBe(1)
  } finally {
    await dispatcher.close().catch(() => undefined)
    await viaProxy.close()
    proxy.stop()
    await connection.queueDelete({ queue })
  }
}, 20_000)

test('a channel that is already closed when the command is to be sent: refused (BROKER_UNAVAILABLE), since nothing was written', async () => {
  const closed = new Connection({ url: 'amqp://guest:guest@127.0.0.1:5672' })
  const dispatcher = createCommandDispatcher({ connection: closed, namespace, waitMs: 1_000, confirmTimeoutMs: 1_000 })
  await closed.close()
  await expect(dispatcher.dispatch({ command_id: crypto.randomUUID(), command_type: 'profile.create_student', correlation_id: null, actor: { user_id: null, role: 'admin' }, payload: {} })).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' })
})
