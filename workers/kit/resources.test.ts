import { afterAll, expect, test } from 'bun:test'
import { deleteTopology, Names, parseConfig, silentLogger } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { connect, messageCount, testNamespace } from '../../test/broker.ts'
import { createTestDatabase } from '../../test/database.ts'
import { WorkerConfig } from './config.ts'
import { openResources } from './resources.ts'

const connection = connect('resources-test')
afterAll(() => connection.close())

test('declares the service\'s queues in its namespace, reaches the database, and closes both', async () => {
  const namespace = testNamespace('resources')
  const database = await createTestDatabase('resources')
  const config = parseConfig(WorkerConfig, { DATABASE_URL: database.url, MEDTRACK_NAMESPACE: namespace, RETRY_TIERS: '200,400', LOG_LEVEL: 'error' })
  const resources = await openResources('eval', config, silentLogger)
  try {
    const names = new Names(namespace)
    for (const queue of [names.eventQueue('eval'), names.commandQueue('eval'), names.retryQueue('eval', 200), names.retryQueue('eval', 400), names.deadQueue('eval')]) {
      expect(await messageCount(connection, queue)).toBe(0)
    }
    expect(resources.queueArguments(names.eventQueue('eval'))).toMatchObject({ 'x-queue-type': 'quorum', 'x-dead-letter-routing-key': names.deadQueue('eval') })
    expect(resources.names.eventQueue('eval')).toBe(names.eventQueue('eval'))
    expect(resources.tiers).toEqual([200, 400])
    expect([...(await resources.db.execute('select 1 as one'))]).toEqual([{ one: 1 }])
    expect(resources.connection.ready).toBe(true)
  } finally {
    await resources.close()
  }
  expect(resources.connection.ready).toBe(false)
  await expect(Promise.resolve(resources.db.execute('select 1'))).rejects.toThrow()
  await deleteTopology(connection, { namespace, services: ['eval'], retryTiers: [200, 400], commands: commandBindings() })
  await database.drop()
})
