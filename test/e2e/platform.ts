import { expect } from 'bun:test'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { Connection } from 'rabbitmq-client'
import { signToken } from '../../api/kit/jwt.ts'
import { sharedJwtSecret } from '../../api/kit/secret.ts'
import { deleteTopology, SERVICES } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { ensureAdmin } from '../../workers/auth/admin.ts'
import { RABBITMQ_URL, testNamespace, waitFor } from '../broker.ts'
import { createTestDatabase, type TestDatabase } from '../database.ts'
import { spawnEntry, type Child } from '../processes.ts'
import { mailedToken, startSmtpSink, type ReceivedMail } from '../smtp.ts'

const RETRY_TIERS = [200, 400, 800, 1_600, 3_200]

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

export type ProcessName = 'gateway' | `${(typeof SERVICES)[number]}-api` | `${(typeof SERVICES)[number]}-worker`

/**
 * The whole platform for one test file, every process a real child process on
 * its own ports, with a database, a broker namespace and an SMTP server of its own.
 */
export interface PlatformOptions {
  /** The processes to start. @default every one */
  only?: ProcessName[]
  /** Settings over the platform's own, for every process. */
  env?: Record<string, string>
}

export async function startPlatform(label: string, options: PlatformOptions = {}) {
  const namespace = testNamespace(label)
  const database: TestDatabase = await createTestDatabase(label)
  // As a default deployment runs: no JWT_SECRET, the platform's own made once (migrate's job) and read by every API.
  const jwtSecret = await sharedJwtSecret(database.db)
  const smtp = await startSmtpSink()
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const))) as Record<(typeof SERVICES)[number], number>
  // Workers on ports of their own too, for the ops API to ask what they applied and read their counters.
  const workerPorts = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const))) as Record<(typeof SERVICES)[number], number>
  const gatewayPort = await freePort()
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    RABBITMQ_URL,
    MEDTRACK_NAMESPACE: namespace,
    JWT_SECRET: '',
    SMTP_URL: smtp.url,
    PUBLIC_URL: 'https://medtrack.example.org',
    EMAIL_RETRY_MS: '300,600,1200,2400,4800',
    EMAIL_POLL_MS: '50',
    RETRY_TIERS: RETRY_TIERS.join(','),
    RELAY_AFTER_MS: '1000',
    SESSION_CACHE_MS: '500',
    LOG_LEVEL: 'info',
    // Only the APIs there are: the gateway answers 404 for a service without one.
    ...Object.fromEntries(SERVICES.filter((s) => existsSync(new URL(`../../api/${s}/main.ts`, import.meta.url))).map((s) => [`${s.toUpperCase()}_API_URL`, `http://127.0.0.1:${ports[s]}`])),
    ...Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_WORKER_URL`, `http://127.0.0.1:${workerPorts[s]}`])),
    ...options.env,
  }
  const entries: Record<string, { entry: string; port: number }> = { gateway: { entry: 'api/gateway/main.ts', port: gatewayPort } }
  for (const s of SERVICES) {
    entries[`${s}-api`] = { entry: `api/${s}/main.ts`, port: ports[s] }
    entries[`${s}-worker`] = { entry: `workers/${s}/main.ts`, port: workerPorts[s] }
  }
  const running = new Map<string, Child>()

  async function start(name: ProcessName): Promise<void> {
    const spec = entries[name]!
    if (!(await Bun.file(spec.entry).exists())) return
    const child = spawnEntry(spec.entry, { ...env, PORT: String(spec.port) })
    running.set(name, child)
    if (name !== 'gateway') await child.waitForLine(/"(api listening|worker started)"/, 20_000)
    else await waitFor(async () => (await fetch(`http://127.0.0.1:${spec.port}/health`).catch(() => undefined))?.status === 200, 20_000, 'the gateway')
  }

  async function stop(name: ProcessName): Promise<number | undefined> {
    const child = running.get(name)
    if (!child) return undefined
    running.delete(name)
    child.proc.kill('SIGTERM')
    return child.exited
  }

  await Promise.all(((options.only ?? Object.keys(entries)) as ProcessName[]).map(start))
  const gateway = `http://127.0.0.1:${gatewayPort}`
  await waitFor(async () => (await fetch(`${gateway}/auth/api/health`).catch(() => undefined))?.status === 200, 10_000, 'the gateway forwarding')

  return {
    namespace,
    database,
    smtp,
    gateway,
    /** Where each service API listens, to reach it straight, without the gateway. */
    apis: Object.fromEntries(SERVICES.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Record<(typeof SERVICES)[number], string>,
    /** Where each worker answers /health, /ready, /metrics (and /applied). */
    workers: Object.fromEntries(SERVICES.map((s) => [s, `http://127.0.0.1:${workerPorts[s]}`])) as Record<(typeof SERVICES)[number], string>,
    running,
    /** The settings every process was started with (without PORT). */
    env,
    start,
    stop,
    /** An admin account in the database, its email and password to sign in with, and a token for it. */
    async admin(): Promise<{ id: string; token: string; email: string; password: string }> {
      const email = `admin-${crypto.randomUUID().slice(0, 8)}@medtrack.example.org`
      const password = 'admin password 1'
      await ensureAdmin(database.db, email, password)
      const res = await fetch(`${gateway}/auth/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
      const body = await res.json()
      return { id: body.user.id, token: body.access_token, email, password }
    },
    /** `bun run apikey create`, as an operator runs it: the key it prints. */
    async createKey(name: string, events: string): Promise<string> {
      const p = Bun.spawn(['bun', 'scripts/apikey.ts', 'create', '--name', name, '--events', events], {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { ...process.env, DATABASE_URL: database.url },
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited])
      if (code !== 0) throw new Error(`apikey create exited ${code}`)
      return /key: (\S+)/.exec(out)![1]!
    },
    /** A token signed like auth's (with the platform's secret), for a user that need not exist. */
    token: (sub: string, role: 'student' | 'encadrant' | 'admin') => signToken(jwtSecret, { sub, role }),
    async close(): Promise<void> {
      await Promise.all([...running.keys()].map((n) => stop(n as ProcessName)))
      const connection = new Connection(RABBITMQ_URL)
      await deleteTopology(connection, { namespace, commands: commandBindings(), retryTiers: RETRY_TIERS })
      await connection.close()
      await smtp.stop()
      await database.drop()
    },
  }
}

export type Platform = Awaited<ReturnType<typeof startPlatform>>

/** What keeps the emails a test reads: the platform's SMTP server. */
type Mailbox = { to(address: string): ReceivedMail[] }

/** JSON over HTTP through the gateway. */
export function client(base: string) {
  const call = async (method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    let json: any
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = text
    }
    return { status: res.status, headers: res.headers, body: json }
  }
  return {
    get: (path: string, token?: string) => call('GET', path, undefined, token),
    post: (path: string, body: unknown, token?: string, headers?: Record<string, string>) => call('POST', path, body, token, headers),
    patch: (path: string, body: unknown, token?: string) => call('PATCH', path, body, token),
    delete: (path: string, token?: string) => call('DELETE', path, undefined, token),
  }
}

/** Follows the verification link emailed to `address` (the platform's SMTP server has it), as its owner does before logging in. */
export async function verifyAddress(api: ReturnType<typeof client>, smtp: Mailbox, address: string): Promise<void> {
  expect((await api.post('/auth/api/verify', { token: await mailedToken(smtp, address) })).status).toBe(200)
}

/**
 * Registers a person through the gateway, verifies their address and signs them in; resolves once
 * profile has made their profile, with their account id, address, token and profile.
 */
export async function registerPerson(api: ReturnType<typeof client>, smtp: Mailbox, role: 'student' | 'encadrant', first: string) {
  const address = `${first.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}@example.org`
  const registered = await api.post('/auth/api/register', { email: address, password: 'correct horse 42', role, first_name: first, last_name: 'Test' })
  expect(registered.status).toBe(201)
  await verifyAddress(api, smtp, address)
  const token = (await api.post('/auth/api/login', { email: address, password: 'correct horse 42' })).body.access_token as string
  const me = `/profile/api/${role}s/me`
  await waitFor(async () => (await api.get(me, token)).status === 200, 15_000, `${first}'s profile`)
  return { userId: registered.body.id as string, address, token, profile: (await api.get(me, token)).body as { id: string } }
}
