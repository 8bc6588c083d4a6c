import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { waitFor } from '../broker.ts'
import { client, startPlatform, verifyAddress, type Platform } from './platform.ts'

/** Tokens a password change retired, tokens naming a role the account does not have, and auth away: every process real. */
let platform: Platform
let api: ReturnType<typeof client>
const email = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`

beforeAll(async () => {
  platform = await startPlatform('e2e-sessions')
  api = client(platform.gateway)
}, 60_000)
afterAll(() => platform.close(), 30_000)

/** A registered student, their address verified, signed in, whose profile and tracking exist. */
async function student(password = 'correct horse 42') {
  const address = email('ana')
  const registered = await api.post('/auth/api/register', { email: address, password, role: 'student', first_name: 'Ana', last_name: 'Diallo' })
  expect(registered.status).toBe(201)
  await verifyAddress(api, platform.smtp, address)
  const token: string = (await api.post('/auth/api/login', { email: address, password })).body.access_token
  await waitFor(async () => (await api.get('/profile/api/students/me', token)).status === 200, 10_000, 'the profile')
  const profile = (await api.get('/profile/api/students/me', token)).body
  await waitFor(async () => (await api.get(`/core/api/tracking/${profile.id}`, token)).status === 200, 10_000, 'the tracking')
  return { address, password, token, userId: registered.body.id as string, studentId: profile.id as string }
}

describe('each service API refuses a retired token on its own', () => {
  test('after a password change, the old token sent straight to a service port → 401: profile (a PATCH changes nothing), core, comm', async () => {
    const ana = await student()
    const profile = client(platform.apis.profile)
    expect((await profile.patch(`/profile/api/students/${ana.studentId}`, { phone: '+212600000001' }, ana.token)).status).toBe(200)

    expect((await api.post('/auth/api/password', { current_password: ana.password, new_password: 'new secret 77' }, ana.token)).status).toBe(200)
    await waitFor(async () => (await profile.get(`/profile/api/students/${ana.studentId}`, ana.token)).status === 401, 10_000, 'profile refusing the old token')
    const refused = await profile.patch(`/profile/api/students/${ana.studentId}`, { phone: '+212600000003' }, ana.token)
    expect(refused).toMatchObject({ status: 401, body: { error: 'UNAUTHENTICATED', message: 'this token is no longer valid; log in again' } })
    await waitFor(async () => (await client(platform.apis.core).get(`/core/api/tracking/${ana.studentId}`, ana.token)).status === 401, 10_000, 'core refusing the old token')
    await waitFor(async () => (await client(platform.apis.comm).get('/comm/api/notifications', ana.token)).status === 401, 10_000, 'comm refusing the old token')

    const fresh: string = (await api.post('/auth/api/login', { email: ana.address, password: 'new secret 77' })).body.access_token
    expect((await profile.get(`/profile/api/students/${ana.studentId}`, fresh)).body.phone).toBe('+212600000001')
    expect((await client(platform.apis.core).get(`/core/api/tracking/${ana.studentId}`, fresh)).status).toBe(200)
  }, 40_000)

  test("a token signed with the platform's secret but naming a role the account does not have → 401, through the gateway and straight to the service", async () => {
    const ana = await student()
    const forged = await platform.token(ana.userId, 'admin')
    const viaGateway = await api.get('/profile/api/students', forged)
    expect(viaGateway.status).toBe(401)
    expect((await api.get('/auth/api/me', forged)).status).toBe(401)
    const straight = await client(platform.apis.profile).get('/profile/api/students', forged)
    expect(straight).toMatchObject({ status: 401, body: { error: 'UNAUTHENTICATED', message: "this token's role is not the account's; log in again" } })
    expect((await client(platform.apis.core).get(`/core/api/tracking/${ana.studentId}`, await platform.token(ana.userId, 'encadrant'))).status).toBe(401)
  }, 30_000)
})

describe('a session through the gateway', () => {
  test('refresh gives tokens every service takes; logout ends the session: its access token is refused on every service, its refresh token too', async () => {
    const ana = await student()
    const login = (await api.post('/auth/api/login', { email: ana.address, password: ana.password })).body
    const renewed = await api.post('/auth/api/refresh', { refresh_token: login.refresh_token })
    expect(renewed.status).toBe(200)
    const { access_token: token, refresh_token: refreshToken } = renewed.body
    expect((await api.get('/profile/api/students/me', token)).body.id).toBe(ana.studentId)
    expect((await api.get(`/core/api/tracking/${ana.studentId}`, token)).status).toBe(200)

    expect((await api.post('/auth/api/logout', { refresh_token: refreshToken })).status).toBe(200)
    expect((await api.get('/auth/api/me', token)).status).toBe(401)
    await waitFor(async () => (await api.get('/profile/api/students/me', token)).status === 401, 5_000, 'the ended session refused by the gateway')
    expect((await api.get('/comm/api/notifications', token)).status).toBe(401)
    expect((await api.post('/auth/api/refresh', { refresh_token: refreshToken })).status).toBe(401)
    // The first login's token, kept by another tab, still works: another session.
    expect((await api.get('/profile/api/students/me', ana.token)).status).toBe(200)
  }, 30_000)
})

describe('the gateway fails closed', () => {
  test('auth paused: a token the gateway cannot check → 503 with Retry-After, never let through; once auth answers again, 200', async () => {
    const ana = await student()
    const auth = platform.running.get('auth-api')!
    // Past the gateway's reuse of its last answer on this token (SESSION_CACHE_MS).
    await Bun.sleep(600)
    auth.proc.kill('SIGSTOP')
    try {
      const res = await api.get('/profile/api/students/me', ana.token)
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('2')
      expect(res.body).toEqual({ error: 'SERVICE_UNAVAILABLE', message: 'this token cannot be checked right now; try again' })
      expect((await api.patch(`/profile/api/students/${ana.studentId}`, { phone: '+212600000009' }, ana.token)).status).toBe(503)
    } finally {
      auth.proc.kill('SIGCONT')
    }
    await waitFor(async () => (await api.get('/profile/api/students/me', ana.token)).status === 200, 10_000, 'the gateway checking again')
    expect((await api.get('/profile/api/students/me', ana.token)).body.phone).toBeNull()
  }, 30_000)
})
