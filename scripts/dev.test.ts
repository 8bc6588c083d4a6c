import { afterAll, describe, expect, test } from 'bun:test'
import { Connection } from 'rabbitmq-client'
import { eq } from 'drizzle-orm'
import { verifyToken } from '../api/kit/jwt.ts'
import { deleteTopology, dropDatabase, openDatabase } from '../core/index.ts'
import { secrets } from '../schemas/db/platform.ts'
import { commandBindings } from '../schemas/commands/index.ts'
import { RABBITMQ_URL, testNamespace, waitFor } from '../test/broker.ts'
import { spawnEntry } from '../test/processes.ts'
import { mailedToken, startSmtpSink, type ReceivedMail } from '../test/smtp.ts'
import { readFileSync } from 'node:fs'
import { existingProcesses } from './processes.ts'

/** README's first session: its shell block, as a reader pastes it. */
const firstSession = () => /## A first session[\s\S]*?```sh\n([\s\S]*?)```/.exec(readFileSync(new URL('../README.md', import.meta.url), 'utf8'))![1]!

/**
 * The two routes of Mailpit's HTTP API that README's first session reads
 * (`docker compose up` runs Mailpit; here, the test's SMTP server holds the
 * mail), answered as Mailpit does: a search by recipient, at once, newest
 * first, and one message's text.
 */
function mailpitApi(mails: { to(address: string): ReceivedMail[] }) {
  const held: ReceivedMail[] = []
  return Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(request) {
      const url = new URL(request.url)
      const message = /^\/api\/v1\/message\/(\d+)$/.exec(url.pathname)
      if (message) return Response.json({ Text: held[Number(message[1])]?.text ?? '' })
      if (url.pathname !== '/api/v1/search') return new Response('not found', { status: 404 })
      const to = (url.searchParams.get('query') ?? '').replace(/^to:/, '')
      return Response.json({ messages: mails.to(to).toReversed().map((m) => ({ ID: String(held.push(m) - 1) })) })
    },
  })
}

const namespace = testNamespace('dev')
const databaseUrl = `postgres://postgres@127.0.0.1:5432/medtrack_test_dev_${crypto.randomUUID().slice(0, 8)}`

afterAll(async () => {
  const connection = new Connection(RABBITMQ_URL)
  await deleteTopology(connection, { namespace, commands: commandBindings() })
  await connection.close()
  await dropDatabase(databaseUrl)
})

describe('bun run dev', () => {
  test("migrates, starts the gateway and every API and worker on its port, runs a registration and README's first session, and stops them all on Ctrl-C", async () => {
    // Its emails go to a test SMTP server, where the verification link is read as its owner would.
    const smtp = await startSmtpSink()
    const dev = spawnEntry('scripts/dev.ts', {
      DATABASE_URL: databaseUrl,
      MEDTRACK_NAMESPACE: namespace,
      JWT_SECRET: '',
      SMTP_URL: smtp.url,
      // README's first admin.
      ADMIN_EMAIL: 'you@example.org',
      ADMIN_PASSWORD: 'a long secret 1',
    })
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

    // README's first session, pasted into a shell as it stands (Mailpit's address aside): the admin's
    // establishment and offer, a student who signs up and verifies her address, her stage, and what she is told.
    const mailpit = mailpitApi(smtp)
    const session = firstSession().replaceAll('127.0.0.1:8025', `127.0.0.1:${mailpit.port}`)
    const shell = Bun.spawn(['bash', '-c', `${session}\necho "ANA=$ANA"; echo "OFFER=$OFFER"; echo "STUDENT=$STUDENT"`], { stdout: 'pipe', stderr: 'pipe', timeout: 45_000 })
    const [printed, complained] = await Promise.all([new Response(shell.stdout).text(), new Response(shell.stderr).text()])
    await mailpit.stop(true)
    const said = `the session printed:\n${printed}\n${complained}`
    expect(await shell.exited, said).toBe(0)
    // What she is told, as the session's last command prints it.
    expect(printed, said).toMatch(/"type": "stage",\s*"title": "[^"]+"/)
    const told = (name: string) => new RegExp(`^${name}=(.+)$`, 'm').exec(printed)?.[1] ?? ''
    expect(told('OFFER'), said).toMatch(/^[0-9a-f-]{36}$/)
    expect(told('STUDENT'), said).toMatch(/^[0-9a-f-]{36}$/)
    const ana = { authorization: `Bearer ${told('ANA')}` }
    const stages = await (await fetch(`http://127.0.0.1:8080/core/api/stages?student_id=${told('STUDENT')}`, { headers: ana })).json()
    expect(stages.items).toMatchObject([{ offer_id: told('OFFER'), student_id: told('STUDENT'), status: 'created' }])

    dev.proc.kill('SIGINT')
    expect(await dev.exited).toBe(0)
    await smtp.stop()
    for (const s of specs) expect(dev.lines.some((l) => l.startsWith(s.name) && /"(api|worker) stopped"/.test(l))).toBe(true)
  }, 90_000)
})
