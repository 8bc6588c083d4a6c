import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, like, sql } from 'drizzle-orm'
import { createLogger, parseConfig, silentLogger } from '../../core/index.ts'
import { loginFailures, sessions, users } from '../../schemas/db/auth.ts'
import { apiSettingsSchema } from '../kit/config.ts'
import { startApi, type RunningApi } from '../kit/start.ts'
import { bearer, post, startService, TEST_JWT_SECRET, type Service } from '../../test/service.ts'
import { mailedToken, startSmtpSink } from '../../test/smtp.ts'
import { waitFor } from '../../test/broker.ts'
import { addressKey } from '../../schemas/domain/logins.ts'
import { AuthSettings } from '../../workers/auth/settings.ts'
import { authWorker } from '../../workers/auth/worker.ts'
import { authApi } from './app.ts'
import { LOGIN_REFUSED } from './sessions/session-life.ts'
import { passwordWork } from './users/passwords.ts'

/**
 * The auth API and worker in-process, access tokens lasting 3 s; a second API replica beside the
 * first; a third whose gateway is elsewhere (GATEWAY_ADDRESSES); the worker's log kept.
 */
let s: Service
let smtp: Awaited<ReturnType<typeof startSmtpSink>>
let replica: RunningApi
let notFromGateway: RunningApi
const workerLog: string[] = []

const email = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`
const from = (address: string) => ({ 'x-real-ip': address })
const at = (port: number, path: string) => `http://127.0.0.1:${port}/auth/api${path}`
const call = (path: string, body: unknown, headers: Record<string, string> = {}, port = s.api!.port) => post(at(port, path), body, headers)
const me = (token: string) => fetch(at(s.api!.port, '/me'), { headers: bearer(token) })

/** A signed-up account whose owner followed the verification link. */
async function account(password = 'correct horse 42') {
  const address = email('ana')
  expect((await call('/register', { email: address, password, role: 'student', first_name: 'Ana', last_name: 'Diallo' })).status).toBe(201)
  expect((await call('/verify', { token: await mailedToken(smtp, address) })).status).toBe(200)
  return { address, password }
}

async function signIn(a: { address: string; password: string }, headers: Record<string, string> = {}) {
  const res = await call('/login', { email: a.address, password: a.password }, headers)
  expect(res.status).toBe(200)
  return (await res.json()) as { access_token: string; refresh_token: string; expires_in: number; refresh_expires_at: string }
}

const refresh = (token: string) => call('/refresh', { refresh_token: token })

beforeAll(async () => {
  smtp = await startSmtpSink()
  const settings = parseConfig(AuthSettings, { SMTP_URL: smtp.url, EMAIL_POLL_MS: '50' })
  const log = createLogger({ service: 'auth-worker', level: 'info', sink: (line) => workerLog.push(line) })
  s = await startService({ label: 'authsessions', api: authApi, worker: authWorker(settings), apiEnv: { ACCESS_TTL: '3' }, workerLog: log })
  replica = await apiBeside({})
  notFromGateway = await apiBeside({ GATEWAY_ADDRESSES: '192.0.2.1' })
})

/** Another auth API replica on the service's database and namespace, with these settings over the first's. */
function apiBeside(settings: Record<string, string>) {
  const env = { DATABASE_URL: s.database.url, MEDTRACK_NAMESPACE: s.namespace, PORT: '0', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'error', ACCESS_TTL: '3', ...settings }
  return startApi(authApi, parseConfig(apiSettingsSchema(authApi.settings), env) as never, silentLogger)
}

afterAll(async () => {
  await notFromGateway.stop()
  await replica.stop()
  await s.close()
  await smtp.stop()
})

describe('staying signed in', () => {
  test('the access token expires; the refresh token trades for new tokens and the user goes on; the spent one presented again ends the session, its successor with it', async () => {
    const ana = await account()
    const first = await signIn(ana)
    expect(first).toMatchObject({ expires_in: 3, token_type: 'Bearer' })
    expect(new Date(first.refresh_expires_at).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000)
    expect((await me(first.access_token)).status).toBe(200)
    await Bun.sleep(3_100)
    expect((await me(first.access_token)).status).toBe(401)

    const renewed = await refresh(first.refresh_token)
    expect(renewed.status).toBe(200)
    const second = await renewed.json()
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect((await me(second.access_token)).status).toBe(200)
    // Renewed again, on the other replica.
    const third = await (await call('/refresh', { refresh_token: second.refresh_token }, {}, replica.port)).json()
    expect((await me(third.access_token)).status).toBe(200)

    const replayed = await refresh(second.refresh_token)
    expect(replayed.status).toBe(401)
    expect(await replayed.json()).toEqual({ error: 'UNAUTHENTICATED', message: 'this refresh token was already used; the session is ended for safety, log in again' })
    expect((await refresh(third.refresh_token)).status).toBe(401)
    expect((await me(third.access_token)).status).toBe(401)
    const [session] = await s.database.db.select().from(sessions).where(eq(sessions.endReason, 'refresh_reused'))
    expect(session?.endedAt).toBeInstanceOf(Date)
    // The log says so, naming the session and the user, never a token.
    const warned = workerLog.map((l) => JSON.parse(l)).filter((l) => l.msg.startsWith('a refresh token was used a second time'))
    expect(warned).toEqual([expect.objectContaining({ level: 'warn', session_id: session!.id, user_id: session!.userId })])
    for (const token of [first.refresh_token, second.refresh_token, third.refresh_token]) expect(workerLog.join('\n')).not.toContain(token)
    // Logging in again opens a new session.
    expect((await refresh((await signIn(ana)).refresh_token)).status).toBe(200)
  }, 20_000)

  test('logout ends its session only; logout-all on one device ends the other device\'s refresh; an unknown refresh token is a 401', async () => {
    const ana = await account()
    const phone = await signIn(ana)
    const laptop = await signIn(ana)
    const tablet = await signIn(ana)

    const out = await call('/logout', { refresh_token: tablet.refresh_token })
    expect(out.status).toBe(200)
    expect(await out.json()).toEqual({ logged_out: true })
    expect((await me(tablet.access_token)).status).toBe(401)
    expect((await refresh(tablet.refresh_token)).status).toBe(401)
    expect((await me(phone.access_token)).status).toBe(200)

    const everywhere = await post(at(s.api!.port, '/logout-all'), {}, bearer(laptop.access_token))
    expect(everywhere.status).toBe(200)
    expect(await everywhere.json()).toEqual({ logged_out: true, sessions_ended: 2 })
    expect((await refresh(phone.refresh_token)).status).toBe(401)
    expect((await refresh(laptop.refresh_token)).status).toBe(401)
    expect((await me(phone.access_token)).status).toBe(401)

    expect((await refresh('not-a-token-of-ours')).status).toBe(401)
    expect((await call('/logout', { refresh_token: 'not-a-token-of-ours' })).status).toBe(401)
    const missing = await call('/refresh', {})
    expect(missing.status).toBe(422)
    expect((await missing.json()).problems).toEqual([{ path: '/refresh_token', message: 'is required' }])
    expect((await post(at(s.api!.port, '/logout-all'), {})).status).toBe(401)
  }, 20_000)

  test('a password change ends the other sessions; the one it was made from refreshes on with the new password\'s token', async () => {
    const ana = await account()
    const here = await signIn(ana)
    const there = await signIn(ana)
    const changed = await call('/password', { current_password: ana.password, new_password: 'another secret 9' }, bearer(here.access_token))
    expect(changed.status).toBe(200)
    expect((await refresh(there.refresh_token)).status).toBe(401)
    const renewed = await refresh(here.refresh_token)
    expect(renewed.status).toBe(200)
    expect((await me((await renewed.json()).access_token)).status).toBe(200)
  }, 20_000)
})

describe('no guessing of passwords', () => {
  test('20 wrong passwords in a row from one address: 429 with Retry-After after the fifth, the right password waits too; another account from another address is not held up', async () => {
    const ana = await account()
    const bob = await account()
    const statuses: number[] = []
    let waited: Response | undefined
    for (let i = 0; i < 20; i++) {
      const res = await call('/login', { email: ana.address, password: `wrong guess ${i}` }, from('203.0.113.10'))
      statuses.push(res.status)
      if (res.status === 429) waited = res
      else await res.arrayBuffer()
    }
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(15).fill(429)])
    expect(Number(waited!.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(waited!.headers.get('retry-after'))).toBeLessThanOrEqual(60)
    expect(await waited!.json()).toMatchObject({ error: 'TOO_MANY_ATTEMPTS' })

    const right = await call('/login', { email: ana.address, password: ana.password }, from('198.51.100.20'))
    expect(right.status).toBe(429)
    expect(right.headers.get('retry-after')).toBeTruthy()
    expect((await call('/login', { email: bob.address, password: bob.password }, from('198.51.100.20'))).status).toBe(200)
  }, 20_000)

  test('failures from one address are counted across accounts, unknown addresses included, twenty a minute; two API replicas share the count', async () => {
    const address = '203.0.113.30'
    const statuses: number[] = []
    for (let i = 0; i < 22; i++) {
      const port = i % 2 === 0 ? s.api!.port : replica.port
      statuses.push((await call('/login', { email: email(`guess${i}`), password: 'wrong guess 1' }, from(address), port)).status)
    }
    // An address is allowed twenty a minute (a school's network is one address), an account five.
    expect(statuses).toEqual([...Array(20).fill(401), 429, 429])
    const carol = await account()
    expect((await call('/login', { email: carol.address, password: carol.password }, from(address), replica.port)).status).toBe(429)
    expect((await call('/login', { email: carol.address, password: carol.password }, from('203.0.113.31'), replica.port)).status).toBe(200)
  }, 20_000)

  test('39 wrong passwords at once for one account, through two API replicas: five are checked, the others wait (429 with Retry-After); the right password then waits too', async () => {
    const ana = await account()
    const before = passwordWork.started
    const burst = await Promise.all(
      Array.from({ length: 39 }, (_, i) => call('/login', { email: ana.address, password: `wrong guess ${i}` }, from('203.0.113.40'), i % 2 === 0 ? s.api!.port : replica.port)),
    )
    const statuses = burst.map((r) => r.status)
    expect(statuses.filter((x) => x === 401)).toHaveLength(5)
    expect(statuses.filter((x) => x === 429)).toHaveLength(34)
    for (const r of burst.filter((r) => r.status === 429)) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(passwordWork.started - before).toBe(5)
    const right = await call('/login', { email: ana.address, password: ana.password }, from('203.0.113.41'), replica.port)
    expect(right.status).toBe(429)
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0)
  }, 30_000)

  test('an X-Real-IP far longer than an address is counted all the same, under its hash: the sixth wrong password waits', async () => {
    const ana = await account()
    const long = '2001:db8::1, '.repeat(40)
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await call('/login', { email: ana.address, password: `wrong guess ${i}` }, from(long))).status)
    expect(statuses).toEqual([...Array(5).fill(401), 429])
    const [row] = await s.database.db.select().from(loginFailures).where(eq(loginFailures.key, addressKey(long.trim())))
    expect(row?.failures).toBe(5)
    expect(row!.key.length).toBeLessThan(100)
  }, 20_000)

  test('a login whose password changes between its check and its session (a reset in between) → the 401 of a wrong password, and no session', async () => {
    const ana = await account()
    const [user] = await s.database.db.select().from(users).where(eq(users.email, ana.address))
    let release!: () => void
    const released = new Promise<void>((r) => (release = r))
    // The account's row held, as a reset holds it while it writes the new password's token version.
    const holding = s.database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from auth.users where id = ${user!.id} for update`)
      await released
      await tx.update(users).set({ tokenVersion: user!.tokenVersion + 1 }).where(eq(users.id, user!.id))
    })
    const login = call('/login', { email: ana.address, password: ana.password }, from('203.0.113.70'))
    await waitFor(
      async () => ((await s.database.db.execute(sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)) as unknown[]).length > 0,
      5_000,
      'the session waiting for the account',
    )
    release()
    await holding
    const res = await login
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ error: 'UNAUTHENTICATED', message: LOGIN_REFUSED })
    expect(await s.database.db.select().from(sessions).where(eq(sessions.userId, user!.id))).toEqual([])
  }, 20_000)

  test('a login email over 254 characters → 422 at /email, nothing counted', async () => {
    const long = `${'a'.repeat(250)}@example.org`
    const res = await call('/login', { email: long, password: 'wrong guess 1' })
    expect(res.status).toBe(422)
    expect((await res.json()).problems).toEqual([{ path: '/email', message: expect.stringContaining('254') }])
    expect(await s.database.db.select().from(loginFailures).where(like(loginFailures.key, `account:${long.slice(0, 20)}%`))).toEqual([])
  })

  test('a successful login forgets the account\'s failures', async () => {
    const dan = await account()
    for (let i = 0; i < 4; i++) expect((await call('/login', { email: dan.address, password: 'wrong guess 1' }, from(`192.0.2.${i}`))).status).toBe(401)
    await signIn(dan, from('192.0.2.50'))
    for (let i = 0; i < 4; i++) expect((await call('/login', { email: dan.address, password: 'wrong guess 2' }, from(`192.0.2.${10 + i}`))).status).toBe(401)
    await signIn(dan, from('192.0.2.51'))
  }, 20_000)
})

test('/auth/api/docs/json documents the session routes: their bodies and their answers', async () => {
  const res = await fetch(s.url('/auth/api/docs/json'))
  expect(res.status).toBe(200)
  const paths = (await res.json()).paths
  const body = (path: string) => paths[path].post.requestBody?.content['application/json'].schema
  expect(body('/auth/api/login').required).toEqual(['email', 'password'])
  expect(body('/auth/api/refresh').required).toEqual(['refresh_token'])
  expect(body('/auth/api/logout').required).toEqual(['refresh_token'])
  expect(body('/auth/api/password/forgot').required).toEqual(['email'])
  expect(body('/auth/api/password/reset').required).toEqual(['token', 'password'])
  expect(Object.keys(paths['/auth/api/login'].post.responses)).toEqual(expect.arrayContaining(['200', '401', '429', '503']))
  for (const status of ['429', '503']) expect(Object.keys(paths['/auth/api/login'].post.responses[status].headers)).toEqual(['Retry-After'])
  expect(Object.keys(paths['/auth/api/login'].post.responses['200'].content['application/json'].schema.properties)).toEqual(
    expect.arrayContaining(['access_token', 'expires_in', 'refresh_token', 'refresh_expires_at']),
  )
  expect(Object.keys(paths['/auth/api/refresh'].post.responses)).toEqual(expect.arrayContaining(['200', '202', '401']))
  expect(Object.keys(paths['/auth/api/password/forgot'].post.responses)).toContain('202')
  for (const path of ['/auth/api/login', '/auth/api/refresh', '/auth/api/logout', '/auth/api/logout-all', '/auth/api/password/forgot', '/auth/api/password/reset']) {
    expect(paths[path].post.summary).toBeTruthy()
  }
})

test('a login or a refresh made again under the same Idempotency-Key is a new one: each answer\'s refresh token works', async () => {
  const ana = await account()
  const keyed = (path: string, body: unknown) => call(path, body, { 'idempotency-key': 'same-key-again' })
  const logins = [await keyed('/login', { email: ana.address, password: ana.password }), await keyed('/login', { email: ana.address, password: ana.password })]
  const tokens = await Promise.all(logins.map(async (r) => (await r.json()).refresh_token as string))
  expect(tokens[0]).not.toBe(tokens[1])
  for (const token of tokens) {
    const renewed = await keyed('/refresh', { refresh_token: token })
    expect(renewed.status).toBe(200)
    expect((await refresh((await renewed.json()).refresh_token)).status).toBe(200)
  }
}, 20_000)

// Last: these count failures under this machine's own address, or stop the worker.
describe('what a login attempt is counted by', () => {
  test('a login whose attempt the worker does not count (it is away) → 503 with Retry-After, its password never checked', async () => {
    const ana = await account()
    const hurried = await apiBeside({ COMMAND_WAIT_MS: '300' })
    await s.worker!.close()
    try {
      const before = passwordWork.started
      const res = await call('/login', { email: ana.address, password: ana.password }, from('203.0.113.60'), hurried.port)
      expect(res.status).toBe(503)
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      expect((await res.json()).error).toBe('SERVICE_UNAVAILABLE')
      expect(passwordWork.started).toBe(before)
    } finally {
      await hurried.stop()
      await s.startWorker()
    }
  }, 20_000)

  test('X-Real-IP from a caller that is not the gateway is not believed: its attempts are counted by its own address, twenty a minute', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 21; i++) statuses.push((await call('/login', { email: email(`told${i}`), password: 'wrong guess 1' }, from(`198.18.0.${i}`), notFromGateway.port)).status)
    expect(statuses.slice(0, 20)).toContain(401)
    expect(statuses.at(-1)).toBe(429)
    const [own] = await s.database.db.select().from(loginFailures).where(eq(loginFailures.key, addressKey('127.0.0.1')))
    expect(own?.blockedUntil?.getTime()).toBeGreaterThan(Date.now())
    expect(await s.database.db.select().from(loginFailures).where(like(loginFailures.key, 'address:198.18.0.%'))).toEqual([])
  }, 20_000)
})
