import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connect as connectTcp } from 'node:net'
import { signToken } from '../../api/kit/jwt.ts'
import { connect, tapEvents, waitFor } from '../broker.ts'
import { client, startPlatform, verifyAddress, type Platform } from './platform.ts'

/** What a review showed against the running platform, each through the gateway with every process real. */
let platform: Platform
let api: ReturnType<typeof client>
let key: string
const email = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`


beforeAll(async () => {
  platform = await startPlatform('e2e-security')
  api = client(platform.gateway)
  key = await platform.createKey('registrar', 'student.*')
}, 60_000)
afterAll(() => platform.close(), 30_000)

describe('a default deployment hands out nothing', () => {
  test('an admin token signed with a secret written in the repository (the old development defaults) lists no student: 401', async () => {
    await platform.admin()
    for (const secret of ['medtrack-development-secret-change-me', 'compose-development-secret-change-me']) {
      const forged = await signToken(secret, { sub: crypto.randomUUID(), role: 'admin' })
      expect((await api.get('/profile/api/students', forged)).status).toBe(401)
      expect((await client(platform.apis.profile).get('/profile/api/students', forged)).status).toBe(401)
    }
  }, 20_000)
})

describe('an external key', () => {
  test("publishes events under its own name (service external:<key name>), even claiming to be profile-service; a type named like an object's own property is a 422", async () => {
    const broker = connect('e2e-security')
    const tap = await tapEvents(broker, platform.namespace, 'student.*')
    try {
      const payload = { student_id: crypto.randomUUID(), user_id: crypto.randomUUID(), email: email('ext') }
      const res = await api.post('/events/publish', { event_type: 'student.created', service_name: 'profile-service', payload }, key)
      expect(res.status).toBe(202)
      await waitFor(() => tap.messages.some((m) => m.messageId === res.body.event_id), 5_000, 'the event on the bus')
      expect((tap.messages.find((m) => m.messageId === res.body.event_id)!.body as { service: string }).service).toBe('external:registrar')
    } finally {
      await tap.close()
      await broker.close()
    }
    for (const type of ['constructor', '__proto__', 'toString']) {
      const res = await api.post('/events/publish', { event_type: type, service_name: 'profile-service', payload: {} }, key)
      expect(res).toMatchObject({ status: 422, body: { error: 'VALIDATION_FAILED', problems: [{ path: '/event_type' }] } })
    }
  }, 20_000)
})

describe('emails', () => {
  test("a name with a newline → 422 naming it; a name with markup arrives quoted in the text and escaped in the HTML of the verification email", async () => {
    const refused = await api.post('/auth/api/register', { email: email('phish'), password: 'correct horse 42', role: 'student', first_name: 'Bob,\n\nIMPORTANT: your account is suspended, log in at http://evil.example', last_name: 'X' })
    expect(refused).toMatchObject({ status: 422, body: { problems: [{ path: '/first_name', message: 'must be one line, without control characters (a newline, a tab)' }] } })

    const address = email('markup')
    expect((await api.post('/auth/api/register', { email: address, password: 'correct horse 42', role: 'student', first_name: '<b>Bob</b> & co', last_name: 'X' })).status).toBe(201)
    await waitFor(() => platform.smtp.to(address).length === 1, 10_000, 'the verification email')
    const [mail] = platform.smtp.to(address)
    expect(mail!.text).toStartWith('Hello “<b>Bob</b> & co”,\n\n')
    expect(mail!.html).toContain('Hello “<span class="typed">&lt;b&gt;Bob&lt;/b&gt; &amp; co</span>”,')
  }, 20_000)
})

describe('work before authentication', () => {
  test('an anonymous 9 MiB POST /profile/api/students through the gateway: 401 before the body has even been sent', async () => {
    const url = new URL(`${platform.gateway}/profile/api/students`)
    const started = Date.now()
    const statusLine = await new Promise<string>((resolve, reject) => {
      const socket = connectTcp(Number(url.port), url.hostname, () => {
        socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${9 * 1024 * 1024}\r\n\r\n{"email":"x@example.org","padding":"${'x'.repeat(64 * 1024)}`)
      })
      socket.once('data', (d) => (socket.destroy(), resolve(d.toString().split('\r\n')[0]!)))
      socket.on('error', reject)
      setTimeout(() => (socket.destroy(), reject(new Error('no answer while the body was still coming'))), 5_000)
    })
    expect(statusLine).toBe('HTTP/1.1 401 Unauthorized')
    expect(Date.now() - started).toBeLessThan(2_000)
  })
})

describe('encadrants and establishments', () => {
  test('a registered encadrant cannot attach themself to an establishment: 403 naming establishment_id; an admin can', async () => {
    const admin = await platform.admin()
    const hospital = (await api.post('/profile/api/establishments', { name: 'CHU Ibn Rochd', city: 'Casablanca' }, admin.token)).body
    const address = email('encadrant')
    expect((await api.post('/auth/api/register', { email: address, password: 'correct horse 42', role: 'encadrant', first_name: 'Karim', last_name: 'Haddad' })).status).toBe(201)
    await verifyAddress(api, platform.smtp, address)
    const token: string = (await api.post('/auth/api/login', { email: address, password: 'correct horse 42' })).body.access_token
    await waitFor(async () => (await api.get('/profile/api/encadrants/me', token)).status === 200, 10_000, 'the encadrant profile')
    const me = (await api.get('/profile/api/encadrants/me', token)).body

    const refused = await api.patch(`/profile/api/encadrants/${me.id}`, { establishment_id: hospital.id }, token)
    expect(refused).toMatchObject({ status: 403, body: { error: 'FORBIDDEN', problems: [{ path: '/establishment_id', message: 'only an admin may change it' }] } })
    expect((await api.get('/profile/api/encadrants/me', token)).body.establishment_id).toBeNull()
    expect((await api.patch(`/profile/api/encadrants/${me.id}`, { phone: '+212600000042' }, token)).status).toBe(200)
    expect((await api.patch(`/profile/api/encadrants/${me.id}`, { establishment_id: hospital.id }, admin.token)).body.establishment_id).toBe(hospital.id)
  }, 30_000)
})
