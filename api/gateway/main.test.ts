import { afterAll, describe, expect, test } from 'bun:test'
import { Names } from '../../core/index.ts'
import { connect, RABBITMQ_URL, testNamespace, waitFor } from '../../test/broker.ts'
import { spawnEntry } from '../../test/processes.ts'
import { createTestDatabase } from '../../test/database.ts'
import { closedPort } from '../../test/service.ts'

const namespace = testNamespace('gateway-main')
const broker = connect('gateway-main-test')

afterAll(async () => {
  await broker.exchangeDelete({ exchange: new Names(namespace).events })
  await broker.close()
})

describe('api/gateway/main.ts', () => {
  test('listens, declares the events exchange, answers /health, and stops cleanly on SIGTERM', async () => {
    const child = spawnEntry('api/gateway/main.ts', { PORT: '0', RABBITMQ_URL, MEDTRACK_NAMESPACE: namespace, LOG_LEVEL: 'info' })
    try {
      const { port } = JSON.parse(await child.waitForLine(/"api listening"/))
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json())).broker === 'connected', 5_000, 'broker connected')
      await broker.exchangeDeclare({ exchange: new Names(namespace).events, type: 'topic', durable: true, passive: true })
      child.proc.kill('SIGTERM')
      expect(await child.exited).toBe(0)
      await child.waitForLine(/"api stopped"/, 2_000)
    } finally {
      child.proc.kill('SIGKILL')
    }
  })

  test('/ready answers 200 while the database and the broker are reachable, 503 naming the database when it is not', async () => {
    const database = await createTestDatabase('gwready')
    const ready = spawnEntry('api/gateway/main.ts', { PORT: '0', RABBITMQ_URL, MEDTRACK_NAMESPACE: namespace, DATABASE_URL: database.url })
    const away = spawnEntry('api/gateway/main.ts', { PORT: '0', RABBITMQ_URL, MEDTRACK_NAMESPACE: namespace, DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/medtrack` })
    try {
      const portOf = async (child: typeof ready) => JSON.parse(await child.waitForLine(/"api listening"/)).port as number
      const [readyPort, awayPort] = [await portOf(ready), await portOf(away)]
      await waitFor(async () => (await fetch(`http://127.0.0.1:${readyPort}/ready`)).status === 200, 5_000, 'the gateway ready')
      expect(await (await fetch(`http://127.0.0.1:${readyPort}/ready`)).json()).toEqual({ status: 'ready', service: 'gateway', problems: [] })
      const refused = await fetch(`http://127.0.0.1:${awayPort}/ready`)
      expect(refused.status).toBe(503)
      expect(await refused.json()).toEqual({ status: 'unavailable', service: 'gateway', problems: ['database unreachable'] })
      await away.waitForLine(/"msg":"not ready".*ECONNREFUSED/)
    } finally {
      for (const child of [ready, away]) child.proc.kill('SIGTERM')
      await Promise.all([ready.exited, away.exited])
      await database.drop()
    }
  })

  test('refuses to start with an invalid setting, naming it', async () => {
    const child = spawnEntry('api/gateway/main.ts', { PORT: 'eighty', PROFILE_API_URL: 'localhost:3002' })
    expect(await child.exited).not.toBe(0)
    await child.waitForLine(/PORT:/, 2_000)
    await child.waitForLine(/PROFILE_API_URL:/, 2_000)
    // One log line naming both, not a stack trace.
    expect(child.lines).toHaveLength(1)
    expect(JSON.parse(child.lines[0]!)).toMatchObject({ level: 'error', msg: 'invalid configuration' })
  })
})
