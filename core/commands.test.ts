import { afterAll, expect, test } from 'bun:test'
import { connect, testNamespace } from '../test/broker.ts'
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
