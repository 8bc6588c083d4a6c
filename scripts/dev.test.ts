import { afterAll, describe, expect, test } from 'bun:test'
import { Connection } from 'rabbitmq-client'
import { eq } from 'drizzle-orm'
import { verifyToken } from '../api/kit/jwt.ts'
import { deleteTopology, dropDatabase, openDatabase } from '../core/index.ts'
import { secrets } from '../schemas/db/platform.ts'
import { commandBindings } from '../schemas/commands/index.ts'
import { RABBITMQ_URL, testNamespace, waitFor } from '../test/broker.ts'
import { spawnEntry } from '../test/processes.ts'
import { mailedToken, startSmtpSink } from '../test/smtp.ts'
import { existingProcesses } from './processes.ts'

const namespace = testNamespace('dev')
const databaseUrl = `postgres://postgres@127.0.0.1:5432/medtrack_test_dev_${crypto.randomUUID().slice(0, 8)}`

afterAll(async () => {
  const connection = new Connection(RABBITMQ_URL)
  await deleteTopology(connection, { namespace, commands: commandBindings() })
  await connection.close()
  await dropDatabase(databaseUrl)
})

describe('bun run dev', () => {
  test('migrates, starts the gateway and every API and worker on its port, runs a registration, and stops them all on Ctrl-C', async () => {
    // Its emails go to a test SMTP server, where the verification link is read as its owner would.
    const smtp = await startSmtpSink()
    const dev = spawnEntry('scripts/dev.ts', { DATABASE_URL: databaseUrl, MEDTRACK_NAMESPACE: namespace, JWT_SECRET: '', SMTP_URL: smtp.url })
    const specs = existingProcesses()
    expect(specs.map((s) => s.name)).toEqual(expect.arrayContaining(['gateway', 'auth-api', 'auth-worker', 'profile-api', 'profile-worker', 'core-api', 'core-worker', 'comm-api', 'comm-worker', 'eval-api', 'eval-worker', 'ops-api']))
    for (const s of specs) await dev.waitForLine(new RegExp(`^${s.name}\\s*\\| .*"(api listening|worker started)"`), 20_000)

    const api = await fetch('http://127.0.0.1:3002/profile/api/health')
    expect(await api.json()).toMatchObject({ status: 'ok', service: 'profile-api' })
    // The ops API on its port, reached through the gateway too, and admins only.
    expect(await (await fetch('http://127.0.0.1:3006/ops/api/health')).json()).toMatchObject({ status: 'ok', service: 'ops-api' })
    expect((await fetch('http://127.0.0.1:8080/ops/api/events')).status).toBe(401)

    // README's first session, through the gateway on :8080.
    const json = { 'content-type': 'application/json' }
    const address = `quickstart-${crypto.randomUUID().slice(0, 8)}@example.org`
    const registered = await fetch('http://127.0.0.1:8080/auth/api/register', { method: 'POST', headers: json, body: JSON.stringify({ email: address, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Diallo' }) })
    expect(registered.status).toBe(201)
    const verified = await fetch('http://127.0.0.1:8080/auth/api/verify', { method: 'POST', headers: json, body: JSON.stringify({ token: await mailedToken(smtp, address) }) })
    expect(verified.status).toBe(200)
    const login = await fetch('http://127.0.0.1:8080/auth/api/login', { method: 'POST', headers: json, body: JSON.stringify({ email: address, password: 'correct horse 42' }) })
    const { access_token: token } = await login.json()
    // With no JWT_SECRET given, the token is signed with the platform's own secret, made by migrate.
    const db = openDatabase(databaseUrl, { max: 1 })
    const [secret] = await db.select().from(secrets).where(eq(secrets.name, 'jwt'))
    await db.$client.end()
    expect(await verifyToken(secret!.value, token)).toMatchObject({ role: 'student' })
    const auth = { authorization: `Bearer ${token}` }
    await waitFor(async () => (await fetch('http://127.0.0.1:8080/profile/api/students/me', { headers: auth })).status === 200, 10_000, 'the profile')
    await waitFor(async () => (await (await fetch('http://127.0.0.1:8080/comm/api/notifications', { headers: auth })).json()).items?.length === 1, 10_000, 'the welcome')
    for (const s of specs.filter((s) => s.name.endsWith('-worker'))) {
      expect((await fetch(`http://127.0.0.1:${s.port}/ready`)).status).toBe(200)
    }

    dev.proc.kill('SIGINT')
    expect(await dev.exited).toBe(0)
    await smtp.stop()
    for (const s of specs) expect(dev.lines.some((l) => l.startsWith(s.name) && /"(api|worker) stopped"/.test(l))).toBe(true)
  }, 40_000)
})
