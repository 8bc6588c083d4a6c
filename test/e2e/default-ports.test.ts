import { afterAll, describe, expect, test } from 'bun:test'
import { Connection } from 'rabbitmq-client'
import { apiPort, deleteTopology, GATEWAY_PORT, workerPort } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { RABBITMQ_URL, testNamespace, waitFor } from '../broker.ts'
import { createTestDatabase, type TestDatabase } from '../database.ts'
import { spawnEntry, type Child } from '../processes.ts'
import { startSmtpSink } from '../smtp.ts'
import { client, verifyAddress } from './platform.ts'

const namespace = testNamespace('ports')
const children: Child[] = []
let database: TestDatabase | undefined
let smtp: Awaited<ReturnType<typeof startSmtpSink>> | undefined

afterAll(async () => {
  for (const c of children) c.proc.kill('SIGTERM')
  await Promise.all(children.map((c) => c.exited))
  const connection = new Connection(RABBITMQ_URL)
  await deleteTopology(connection, { namespace, commands: commandBindings() })
  await connection.close()
  await smtp?.stop()
  await database?.drop()
}, 30_000)

describe('processes started by hand, from their entry files, with no PORT', () => {
  test('the gateway listens on 8080, auth\'s API on 3001 and its worker on 3101: register and log in through :8080', async () => {
    database = await createTestDatabase('ports')
    smtp = await startSmtpSink()
    // Exactly what someone typing `bun api/auth/main.ts` has: no PORT, nothing telling the gateway where auth is.
    const env = { PORT: undefined as unknown as string, AUTH_API_URL: undefined as unknown as string, DATABASE_URL: database.url, RABBITMQ_URL, MEDTRACK_NAMESPACE: namespace, JWT_SECRET: 'ports-secret-0123456789abcdef0123456789', SMTP_URL: smtp.url }
    for (const entry of ['workers/auth/main.ts', 'api/auth/main.ts', 'api/gateway/main.ts']) children.push(spawnEntry(entry, env))
    const [worker, authApi, gatewayProcess] = children
    expect(await gatewayProcess!.waitForLine(/"api listening"/, 20_000)).toContain(`"port":${GATEWAY_PORT}`)
    expect(await worker!.waitForLine(/"worker started"/, 20_000)).toContain(`"port":${workerPort('auth')}`)
    expect(await authApi!.waitForLine(/"api listening"/, 20_000)).toContain(`"port":${apiPort('auth')}`)
    const gateway = `http://127.0.0.1:${GATEWAY_PORT}`
    await waitFor(async () => (await fetch(`${gateway}/auth/api/health`).catch(() => undefined))?.status === 200, 20_000, 'the gateway forwarding to auth')
    expect((await fetch(`http://127.0.0.1:${workerPort('auth')}/health`)).status).toBe(200)

    const api = client(gateway)
    const email = `by-hand-${crypto.randomUUID().slice(0, 8)}@example.org`
    const registered = await api.post('/auth/api/register', { email, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Diallo' })
    expect(registered.status).toBe(201)
    await verifyAddress(api, smtp, email)
    const login = await api.post('/auth/api/login', { email, password: 'correct horse 42' })
    expect(login.status).toBe(200)
    expect((await api.get('/auth/api/me', login.body.access_token)).body).toMatchObject({ id: registered.body.id, email })
  }, 60_000)
})
