import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { connect as connectTcp, createServer, type Socket } from 'node:net'
import { Names, parseConfig, silentLogger } from '../../core/index.ts'
import { profileCommandResults, profileOutbox, students } from '../../schemas/db/profile.ts'
import { RABBITMQ_URL, waitFor } from '../../test/broker.ts'
import { bearer, closedPort, json, post, startService, TEST_JWT_SECRET, type Service, type ServiceOptions } from '../../test/service.ts'
import { startProxy } from '../../test/tcp-proxy.ts'
import { profileWorker } from '../../workers/profile/worker.ts'
import { profileApi } from '../profile/app.ts'
import { ApiConfig } from './config.ts'
import { DEFAULT_BODY_LIMIT } from './body.ts'
import { MAX_BODY_BYTES, SERVER_BODY_CAP } from './errors.ts'
import { signToken } from './jwt.ts'
import { startApi } from './start.ts'

const ADMIN = { sub: crypto.randomUUID(), role: 'admin' } as const

const admin = () => signToken(TEST_JWT_SECRET, ADMIN)
const studentToken = (sub: string = crypto.randomUUID()) => signToken(TEST_JWT_SECRET, { sub, role: 'student' })
const uniqueEmail = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`

/** The profile service, its API and (unless deferred) its worker in-process. */
const startProfile = (label: string, o: Omit<ServiceOptions<'profile'>, 'label'> = {}) => startService({ label, api: profileApi, worker: profileWorker, ...o })

/**
 * Resolves once the API declared its service's topology, so a command published now is routable.
 * The dead-letter queue is declared last, after the commands queue and its bindings (core/topology.ts).
 */
async function topologyDeclared(s: Service): Promise<void> {
  const queue = new Names(s.namespace).deadQueue('profile')
  await waitFor(
    () =>
      s.connection.queueDeclare({ queue, passive: true }).then(
        () => true,
        () => false,
      ),
    5_000,
    `${queue} declared`,
  )
}

/**
 * A TCP proxy that can hold every byte in both directions without closing
 * anything: the broker looks connected but answers nothing until released.
 */
async function startStallingProxy(targetPort: number) {
  let stalled = false
  const held: (() => void)[] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connectTcp(targetPort, '127.0.0.1')
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from)
      from.on('data', (data) => (stalled ? held.push(() => to.write(data)) : to.write(data)))
      from.on('error', () => to.destroy())
      from.on('close', () => to.destroy())
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    port: (server.address() as { port: number }).port,
    stall: () => void (stalled = true),
    release() {
      stalled = false
      for (const send of held.splice(0)) send()
    },
    stop() {
      for (const s of sockets) s.destroy()
      server.close()
    },
  }
}

const studentRows = (s: Service, email: string) => s.database.db.select().from(students).where(sql`lower(${students.email}) = lower(${email})`)

describe('with the worker running', () => {
  let s: Service

  beforeEach(async () => {
    s = await startProfile('api')
  })

  afterEach(async () => {
    await s.close()
  })

  test('an admin creates a student: 201 with the student, and the row exists', async () => {
    const email = uniqueEmail('ada')
    const res = await post(s.url('/profile/api/students'), { email, first_name: 'Ada', last_name: 'Lovelace', phone: '+212600000000' }, bearer(await admin()))
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body).toMatchObject({ email, first_name: 'Ada', last_name: 'Lovelace', phone: '+212600000000', cin: null })
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(body.user_id).toMatch(/^[0-9a-f-]{36}$/)
    const rows = await studentRows(s, email)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ id: body.id, userId: body.user_id, email, firstName: 'Ada', lastName: 'Lovelace' })
  })

  test('X-Request-Id is echoed when sent and generated when not, on successes and errors alike', async () => {
    const sent = `req-${crypto.randomUUID()}`
    const echoed = await post(s.url('/profile/api/students'), { email: uniqueEmail('rid') }, { ...bearer(await admin()), 'x-request-id': sent })
    expect(echoed.status).toBe(201)
    expect(echoed.headers.get('x-request-id')).toBe(sent)

    const generated = await post(s.url('/profile/api/students'), { email: uniqueEmail('rid') }, bearer(await admin()))
    expect(generated.status).toBe(201)
    expect(generated.headers.get('x-request-id')).toBeTruthy()

    const again = await post(s.url('/profile/api/students'), { email: uniqueEmail('rid') }, bearer(await admin()))
    expect(again.headers.get('x-request-id')).toBeTruthy()
    expect(again.headers.get('x-request-id')).not.toBe(generated.headers.get('x-request-id'))

    const refused = await post(s.url('/profile/api/students'), { email: uniqueEmail('rid') }, { 'x-request-id': sent })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('x-request-id')).toBe(sent)
    const missing = await fetch(s.url('/profile/api/nowhere'))
    expect(missing.status).toBe(404)
    expect(missing.headers.get('x-request-id')).toBeTruthy()
  })

  test('the same Idempotency-Key twice is one student; a different key with the same email is 409 on /email', async () => {
    const email = uniqueEmail('idem')
    const key = crypto.randomUUID()
    const token = await admin()
    const first = await post(s.url('/profile/api/students'), { email, first_name: 'Grace' }, { ...bearer(token), 'idempotency-key': key })
    const second = await post(s.url('/profile/api/students'), { email, first_name: 'Grace' }, { ...bearer(token), 'idempotency-key': key })
    expect(first.status).toBe(201)
    expect(second.status).toBe(201)
    const [a, b] = [await first.text(), await second.text()]
    expect(b).toBe(a)
    expect(JSON.parse(a)).toMatchObject({ email, first_name: 'Grace' })

    const rows = await studentRows(s, email)
    expect(rows).toHaveLength(1)
    const events = await s.database.db.select().from(profileOutbox).where(sql`${profileOutbox.eventType} = 'student.created' and ${profileOutbox.envelope}->'payload'->>'student_id' = ${rows[0]!.id}`)
    expect(events).toHaveLength(1)

    const other = await post(s.url('/profile/api/students'), { email: email.toUpperCase() }, { ...bearer(token), 'idempotency-key': crypto.randomUUID() })
    expect(other.status).toBe(409)
    const conflict = await json(other)
    expect(conflict.problems[0].path).toBe('/email')
    expect(await studentRows(s, email)).toHaveLength(1)
  })

  test('the same Idempotency-Key sent twice at once: both answer 201 with the same student, and there is one', async () => {
    const email = uniqueEmail('twice')
    const headers = { ...bearer(await admin()), 'idempotency-key': crypto.randomUUID() }
    const answers = await Promise.all([0, 1].map(() => post(s.url('/profile/api/students'), { email, first_name: 'Twin' }, headers)))
    expect(answers.map((a) => a.status)).toEqual([201, 201])
    const [a, b] = await Promise.all(answers.map((r) => r.text()))
    expect(b).toBe(a)
    expect(JSON.parse(a!)).toMatchObject({ email, first_name: 'Twin' })
    expect(await studentRows(s, email)).toHaveLength(1)
  })

  test('the same Idempotency-Key with the same body written in another key order is the same request: the same 201', async () => {
    const headers = { ...bearer(await admin()), 'idempotency-key': crypto.randomUUID() }
    const email = uniqueEmail('order')
    const a = await post(s.url('/profile/api/students'), `{"email":"${email}","first_name":"Ada","last_name":"King"}`, headers)
    const b = await post(s.url('/profile/api/students'), `{"last_name":"King","first_name":"Ada","email":"${email}"}`, headers)
    expect([a.status, b.status]).toEqual([201, 201])
    expect(await b.text()).toBe(await a.text())
    expect(await studentRows(s, email)).toHaveLength(1)
  })

  test('the same Idempotency-Key with another body is another command: a second student, not the first one again', async () => {
    const headers = { ...bearer(await admin()), 'idempotency-key': crypto.randomUUID() }
    const [first, second] = [uniqueEmail('one'), uniqueEmail('two')]
    const a = await post(s.url('/profile/api/students'), { email: first }, headers)
    const b = await post(s.url('/profile/api/students'), { email: second }, headers)
    expect([a.status, b.status]).toEqual([201, 201])
    expect((await json(a)).email).toBe(first)
    expect((await json(b)).email).toBe(second)
    expect(await studentRows(s, second)).toHaveLength(1)
  })

  test('a NUL character anywhere in the body, the query or the path → 422 naming each path; nothing is sent to the worker', async () => {
    const token = await admin()
    const email = uniqueEmail('nul')
    const body = { email, first_name: 'A\u0000da', last_name: 'Love\u0000lace', extra: { deep: ['ok', 'x\u0000'] } }
    const res = await post(s.url('/profile/api/students'), body, bearer(token))
    expect(res.status).toBe(422)
    const refused = await json(res)
    expect(refused.error).toBe('VALIDATION_FAILED')
    expect(refused.problems.map((p: { path: string }) => p.path)).toEqual(['/extra/deep/1', '/first_name', '/last_name'])
    for (const p of refused.problems) expect(p.message).toContain('NUL')

    const update = await fetch(s.url(`/profile/api/students/${crypto.randomUUID()}`), { method: 'PATCH', headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify({ phone: '\u0000' }) })
    expect(update.status).toBe(422)
    expect((await json(update)).problems).toEqual([{ path: '/phone', message: expect.stringContaining('NUL') }])

    const query = await fetch(s.url('/profile/api/students?page=1&q=%00'), { headers: bearer(token) })
    expect(query.status).toBe(422)
    expect((await json(query)).problems.map((p: { path: string }) => p.path)).toEqual(['/query/q'])

    for (const path of ['/profile/api/operations/%00', '/profile/api/operations/not-a-uuid', '/profile/api/students/%00']) {
      const param = await fetch(s.url(path), { headers: bearer(token) })
      expect(param.status).toBe(422)
      expect((await json(param)).problems.map((p: { path: string }) => p.path)).toEqual(['/params/id'])
    }

    // The token is checked first, as for any other invalid body.
    expect((await post(s.url('/profile/api/students'), body)).status).toBe(401)

    expect(await studentRows(s, email)).toHaveLength(0)
    expect(await s.database.db.select().from(profileCommandResults).where(sql`${profileCommandResults.body}->>'email' = ${email}`)).toHaveLength(0)
    expect((await s.connection.queueDeclare({ queue: new Names(s.namespace).commandQueue('profile'), passive: true })).messageCount).toBe(0)
  })

  test("a body over what its route takes (64 KiB) → 413 naming the limit, declared or sent chunked, before any of it is used; one at the limit is taken; over 10 MiB the kit's own 413", async () => {
    const token = await admin()
    const email = uniqueEmail('big')
    const sized = (bytes: number, address = email) => {
      const head = JSON.stringify({ email: address, padding: '' })
      return `${head.slice(0, -2)}${'x'.repeat(bytes - head.length)}"}`
    }
    const tooLarge = sized(DEFAULT_BODY_LIMIT + 1)
    expect(tooLarge.length).toBe(DEFAULT_BODY_LIMIT + 1)
    const overRoute = {
      error: 'PAYLOAD_TOO_LARGE',
      message: 'the request body is larger than 65536 bytes, the most this route takes',
      problems: [{ path: '/', message: 'must be at most 65536 bytes' }],
    }

    const declared = await post(s.url('/profile/api/students'), tooLarge, bearer(token))
    expect(declared.status).toBe(413)
    expect(await json(declared)).toEqual(overRoute)

    const chunks = (text: string) =>
      new ReadableStream({
        start(c) {
          for (let i = 0; i < text.length; i += 16 * 1024) c.enqueue(new TextEncoder().encode(text.slice(i, i + 16 * 1024)))
          c.close()
        },
      })
    const chunked = await fetch(s.url('/profile/api/students'), { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body: chunks(tooLarge), duplex: 'half' } as RequestInit)
    expect(chunked.status).toBe(413)
    expect(await json(chunked)).toEqual(overRoute)

    const overKit = await post(s.url('/profile/api/students'), sized(MAX_BODY_BYTES + 1), bearer(token))
    expect(overKit.status).toBe(413)
    expect(await json(overKit)).toEqual({ error: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining(String(MAX_BODY_BYTES)) })
    // Past the server's own cap Bun refuses the body itself (an empty 413): still never taken.
    const huge = await post(s.url('/profile/api/students'), `${tooLarge}${' '.repeat(SERVER_BODY_CAP)}`, bearer(token))
    expect(huge.status).toBe(413)
    expect(await studentRows(s, email)).toHaveLength(0)

    const atLimit = await post(s.url('/profile/api/students'), sized(DEFAULT_BODY_LIMIT), bearer(token))
    expect(atLimit.status).toBe(201)
    expect(await studentRows(s, email)).toHaveLength(1)
    const chunkedAtLimit = await fetch(s.url('/profile/api/students'), { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body: chunks(sized(DEFAULT_BODY_LIMIT, uniqueEmail('chunk'))), duplex: 'half' } as RequestInit)
    expect(chunkedAtLimit.status).toBe(201)
  }, 20_000)

  test('authentication first: an anonymous 9 MiB body to a route that needs a token gets its 401 at once, before the body has even arrived; a student (403) alike', async () => {
    const url = new URL(s.url('/profile/api/students'))
    /** Sends the head and 1 KiB of a body declared 9 MiB long, and resolves with the answer's status line and body, never sending the rest. */
    const halfSent = (authorization?: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connectTcp(Number(url.port), url.hostname, () => {
          const head = [`POST ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, 'Content-Type: application/json', `Content-Length: ${9 * 1024 * 1024}`, ...(authorization ? [`Authorization: ${authorization}`] : []), '', '']
          socket.write(head.join('\r\n'))
          socket.write(`{"email":"x@example.org","padding":"${'x'.repeat(1024)}`)
        })
        let answer = ''
        socket.on('data', (d) => {
          answer += d.toString()
          if (/\r\n\r\n[\s\S]*\}$/.test(answer)) {
            socket.destroy()
            resolve(answer)
          }
        })
        socket.on('error', reject)
        setTimeout(() => (socket.destroy(), reject(new Error(`no answer while the body was still coming: ${answer}`))), 3_000)
      })
    const anonymous = await halfSent()
    expect(anonymous.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized')
    expect(JSON.parse(anonymous.slice(anonymous.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'UNAUTHENTICATED', message: 'a valid bearer token is required' })
    const student = await halfSent(`Bearer ${await studentToken()}`)
    expect(student.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden')
    const badToken = await halfSent('Bearer not.a.token')
    expect(badToken.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized')
  })

  test('no token → 401, a student → 403, an expired or tampered token → 401, all JSON and before the body is validated', async () => {
    const url = s.url('/profile/api/students')
    const good = { email: uniqueEmail('auth') }
    const bad = { email: 'not-an-email', phone: '' }

    for (const body of [good, bad]) {
      const none = await post(url, body)
      expect(none.status).toBe(401)
      expect((await json(none)).error).toBe('UNAUTHENTICATED')

      const student = await post(url, body, bearer(await studentToken()))
      expect(student.status).toBe(403)
      expect((await json(student)).error).toBe('FORBIDDEN')

      const expired = await post(url, body, bearer(await signToken(TEST_JWT_SECRET, ADMIN, 60, Date.now() - 3_600_000)))
      expect(expired.status).toBe(401)
      expect((await json(expired)).error).toBe('UNAUTHENTICATED')

      const [head, , sig] = (await studentToken()).split('.')
      const forgedClaims = Buffer.from(JSON.stringify({ ...ADMIN, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 900 })).toString('base64url')
      const tampered = await post(url, body, bearer(`${head}.${forgedClaims}.${sig}`))
      expect(tampered.status).toBe(401)

      const otherSecret = await post(url, body, bearer(await signToken('another-secret-0123456789', ADMIN)))
      expect(otherSecret.status).toBe(401)

      const notBearer = await post(url, body, { authorization: `Basic ${await admin()}` })
      expect(notBearer.status).toBe(401)

      // Signed with the secret, but not for a user of this platform: refused like any bad token, never a 500.
      const notAUser = await post(url, body, bearer(await signToken(TEST_JWT_SECRET, { sub: 'admin', role: 'admin' })))
      expect(notAUser.status).toBe(401)
      expect((await json(notAUser)).error).toBe('UNAUTHENTICATED')
    }
    expect(await studentRows(s, good.email)).toHaveLength(0)
  })

  test('the scheme of the Authorization header is read in any case: `bearer` and `BEARER` are Bearer', async () => {
    const token = await admin()
    for (const scheme of ['bearer', 'BEARER']) {
      const email = uniqueEmail(scheme)
      const res = await post(s.url('/profile/api/students'), { email }, { authorization: `${scheme} ${token}` })
      expect(res.status).toBe(201)
      expect(await studentRows(s, email)).toHaveLength(1)
    }
  })

  test('an invalid body → 422 naming every field path; malformed JSON → 400; a wrong method → 405 with Allow; an unknown route → 404 naming the path; none are 500', async () => {
    const token = await admin()
    const invalid = await post(s.url('/profile/api/students'), { email: 'not-an-email', phone: '', user_id: 'nope' }, bearer(token))
    expect(invalid.status).toBe(422)
    const problems = (await json(invalid)).problems as { path: string; message: string }[]
    const paths = problems.map((p) => p.path)
    expect(paths).toContain('/email')
    expect(paths).toContain('/phone')
    expect(paths).toContain('/user_id')
    for (const p of problems) expect(p.message).toBeTruthy()

    const blank = await post(s.url('/profile/api/students'), { email: uniqueEmail('blank'), first_name: '   ', last_name: 'x'.repeat(101), phone: '\t' }, bearer(token))
    expect(blank.status).toBe(422)
    expect((await json(blank)).problems).toEqual([
      { path: '/phone', message: 'must not be blank' },
      { path: '/first_name', message: 'must not be blank' },
      { path: '/last_name', message: 'Expected string length less or equal to 100' },
    ])

    const missing = await post(s.url('/profile/api/students'), { first_name: 'Nobody' }, bearer(token))
    expect(missing.status).toBe(422)
    expect(((await json(missing)).problems as { path: string }[]).map((p) => p.path)).toContain('/email')

    const malformed = await post(s.url('/profile/api/students'), '{"email": ', bearer(token))
    expect(malformed.status).toBe(400)
    expect((await json(malformed)).error).toBe('MALFORMED_JSON')

    const wrongMethod = await fetch(s.url('/profile/api/students'), { method: 'PUT', headers: bearer(token) })
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD, POST')
    expect(await json(wrongMethod)).toEqual({ error: 'METHOD_NOT_ALLOWED', message: 'PUT is not allowed on /profile/api/students; it takes GET, HEAD, POST' })
    const onOne = await fetch(s.url(`/profile/api/students/${crypto.randomUUID()}`), { method: 'POST', headers: bearer(token) })
    expect(onOne.status).toBe(405)
    expect(onOne.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH')
    // `/students/me` is a route of its own: it takes what it takes, not what `/students/:id` does.
    const onMe = await fetch(s.url('/profile/api/students/me'), { method: 'POST', headers: bearer(token) })
    expect(onMe.status).toBe(405)
    expect(onMe.headers.get('allow')).toBe('GET, HEAD')

    const unknown = await fetch(s.url('/profile/api/no/such/thing'), { headers: bearer(token) })
    expect(unknown.status).toBe(404)
    expect(await json(unknown)).toEqual({ error: 'NOT_FOUND', message: 'no route GET /profile/api/no/such/thing' })

    const outside = await fetch(s.url('/elsewhere'))
    expect(outside.status).toBe(404)
    expect((await json(outside)).message).toContain('/elsewhere')

    const badId = await fetch(s.url('/profile/api/students/not-a-uuid'), { headers: bearer(token) })
    expect(badId.status).toBe(422)
    expect(((await json(badId)).problems as { path: string }[]).map((p) => p.path)).toContain('/params/id')
  })

  test('a body that is not JSON → 415 naming the content-type, a form included; JSON in any case or as +json is read; nothing else is sent', async () => {
    const token = await admin()
    const email = uniqueEmail('typed')
    const refused = [
      fetch(s.url('/profile/api/students'), { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/x-www-form-urlencoded' }, body: `email=${email}` }),
      fetch(s.url('/profile/api/students'), { method: 'POST', headers: bearer(token), body: (() => { const f = new FormData(); f.set('email', email); return f })() }),
      fetch(s.url('/profile/api/students'), { method: 'POST', headers: { ...bearer(token), 'content-type': 'text/plain' }, body: JSON.stringify({ email }) }),
    ]
    for (const res of await Promise.all(refused)) {
      expect(res.status).toBe(415)
      const body = await json(res)
      expect(body).toMatchObject({ error: 'UNSUPPORTED_MEDIA_TYPE', problems: [{ path: '/headers/content-type', message: 'must be application/json' }] })
      expect(body.message).toContain('application/json')
    }
    expect(await studentRows(s, email)).toHaveLength(0)

    const upper = await post(s.url('/profile/api/students'), { email, first_name: 'Ada' }, { ...bearer(token), 'content-type': 'Application/JSON; charset=UTF-8' })
    expect(upper.status).toBe(201)
    expect(await json(upper)).toMatchObject({ email, first_name: 'Ada' })
    const other = uniqueEmail('plus')
    const plus = await post(s.url('/profile/api/students'), { email: other }, { ...bearer(token), 'content-type': 'application/merge-patch+json' })
    expect(plus.status).toBe(201)
  })

  test('a body nesting deeper than 64 levels → 422 at the field that does, at any depth (never 500); an email over 254 characters → 422', async () => {
    const token = await admin()
    // 30,000 levels fit in the route's 64 KiB.
    for (const depth of [65, 5_000, 30_000]) {
      const res = await post(s.url('/profile/api/students'), `{"email":${'['.repeat(depth)}${']'.repeat(depth)},"first_name":"Deep"}`, bearer(token))
      expect(res.status).toBe(422)
      expect(await json(res)).toMatchObject({ error: 'VALIDATION_FAILED', problems: [{ path: '/email', message: 'must not nest arrays or objects more than 64 levels deep' }] })
    }
    // At the limit (the body at level 0, its deepest array at 63), the field is simply not a string.
    const atLimit = await post(s.url('/profile/api/students'), `{"email":${'['.repeat(63)}${']'.repeat(63)}}`, bearer(token))
    expect(atLimit.status).toBe(422)
    expect((await json(atLimit)).problems).toEqual([{ path: '/email', message: 'Expected string' }])
    const pastIt = await post(s.url('/profile/api/students'), `{"email":${'['.repeat(64)}${']'.repeat(64)}}`, bearer(token))
    expect((await json(pastIt)).problems).toEqual([{ path: '/email', message: 'must not nest arrays or objects more than 64 levels deep' }])

    const long = `${'a'.repeat(4_000)}@example.org`
    const tooLong = await post(s.url('/profile/api/students'), { email: long }, bearer(token))
    expect(tooLong.status).toBe(422)
    expect(((await json(tooLong)).problems as { path: string }[]).map((p) => p.path)).toEqual(['/email'])
    expect(await studentRows(s, long)).toHaveLength(0)
  })

  test('GET /students/:id: an admin 200, the student themself 200, another student 403, an unknown id 404', async () => {
    const email = uniqueEmail('get')
    const created = await json(await post(s.url('/profile/api/students'), { email, cin: 'AB123456' }, bearer(await admin())))

    const byAdmin = await fetch(s.url(`/profile/api/students/${created.id}`), { headers: bearer(await admin()) })
    expect(byAdmin.status).toBe(200)
    expect(await json(byAdmin)).toEqual(created)

    const byOwner = await fetch(s.url(`/profile/api/students/${created.id}`), { headers: bearer(await studentToken(created.user_id)) })
    expect(byOwner.status).toBe(200)
    expect((await json(byOwner)).id).toBe(created.id)

    const byOther = await fetch(s.url(`/profile/api/students/${created.id}`), { headers: bearer(await studentToken()) })
    expect(byOther.status).toBe(403)
    expect((await json(byOther)).error).toBeTruthy()

    // The route exists: the answer names the missing student, not a missing route.
    const unknown = await fetch(s.url(`/profile/api/students/${crypto.randomUUID()}`), { headers: bearer(await admin()) })
    expect(unknown.status).toBe(404)
    expect(await json(unknown)).toEqual({ error: 'NOT_FOUND', message: 'student not found' })

    const anonymous = await fetch(s.url(`/profile/api/students/${created.id}`))
    expect(anonymous.status).toBe(401)
  })

  test('/health answers 200 with the broker connected; /ready 200 with nothing in the way', async () => {
    const res = await fetch(s.url('/profile/api/health'))
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ status: 'ok', service: 'profile-api', broker: 'connected' })
    const ready = await fetch(s.url('/profile/api/ready'))
    expect(ready.status).toBe(200)
    expect(await json(ready)).toEqual({ status: 'ready', service: 'profile-api', problems: [] })
  })

  test('/docs/json is an OpenAPI document listing /profile/api/students', async () => {
    const res = await fetch(s.url('/profile/api/docs/json'))
    expect(res.status).toBe(200)
    const doc = await json(res)
    expect(doc.openapi).toMatch(/^3\./)
    expect(doc.info.title).toContain('profile')
    expect(Object.keys(doc.paths)).toContain('/profile/api/students')
    expect(doc.paths['/profile/api/students'].post).toBeDefined()
    expect(Object.keys(doc.paths)).toContain('/profile/api/students/{id}')
    // Bodies are JSON, with their fields: what a client needs to write a request.
    const created = doc.paths['/profile/api/students'].post.requestBody.content
    expect(Object.keys(created)).toEqual(['application/json'])
    expect(created['application/json'].schema.required).toEqual(['email'])
    expect(Object.keys(created['application/json'].schema.properties)).toEqual(expect.arrayContaining(['email', 'first_name', 'last_name', 'phone', 'user_id']))
    expect(Object.keys(doc.paths['/profile/api/students/{id}'].patch.requestBody.content)).toEqual(['application/json'])

    const ui = await fetch(s.url('/profile/api/docs'))
    expect(ui.status).toBe(200)
    expect(ui.headers.get('content-type') ?? '').toContain('text/html')
  })
})

describe('the broker unreachable', () => {
  /** Nothing of the refused request happened: no row, no result, and a worker started afterwards applies nothing. */
  async function nothingHalfDone(s: Service, email: string) {
    expect(await studentRows(s, email)).toHaveLength(0)
    expect(await s.database.db.select().from(profileCommandResults)).toHaveLength(0)
    await s.startWorker()
    await Bun.sleep(750)
    expect(await studentRows(s, email)).toHaveLength(0)
    expect(await s.database.db.select().from(profileCommandResults)).toHaveLength(0)
    expect((await s.connection.queueDeclare({ queue: new Names(s.namespace).commandQueue('profile'), passive: true })).messageCount).toBe(0)
  }

  async function expect503(res: Response) {
    expect(res.status).toBe(503)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    const body = await json(res)
    expect(body.error).toBe('SERVICE_UNAVAILABLE')
    expect(body.message).toBeTruthy()
  }

  test('never reachable: POST → 503 with Retry-After, nothing accepted; /health says unreachable', async () => {
    const s = await startProfile('down', { deferWorker: true, apiEnv: { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${await closedPort()}` } })
    try {
      const health = await fetch(s.url('/profile/api/health'))
      expect(health.status).toBe(200)
      expect(await json(health)).toMatchObject({ status: 'ok', broker: 'unreachable' })
      const ready = await fetch(s.url('/profile/api/ready'))
      expect(ready.status).toBe(503)
      expect(await json(ready)).toEqual({ status: 'unavailable', service: 'profile-api', problems: ['broker not connected'] })

      const email = uniqueEmail('down')
      const started = Date.now()
      await expect503(await post(s.url('/profile/api/students'), { email }, { ...bearer(await admin()), 'idempotency-key': crypto.randomUUID() }))
      expect(Date.now() - started).toBeLessThan(5_000)
      await nothingHalfDone(s, email)
    } finally {
      await s.close()
    }
  }, 15_000)

  test('cut after connecting: POST → 503 with Retry-After; once the link is back nothing of that request is applied', async () => {
    const proxy = await startProxy(5672)
    const s = await startProfile('cut', { deferWorker: true, apiEnv: { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${proxy.port}` } })
    try {
      await waitFor(async () => (await (await fetch(s.url('/profile/api/health'))).json()).broker === 'connected', 5_000, 'api connected')
      await proxy.cut()
      await waitFor(async () => (await (await fetch(s.url('/profile/api/health'))).json()).broker === 'unreachable', 5_000, 'api sees the cut')

      const email = uniqueEmail('cut')
      await expect503(await post(s.url('/profile/api/students'), { email }, bearer(await admin())))
      const health = await fetch(s.url('/profile/api/health'))
      expect(health.status).toBe(200)
      expect((await json(health)).broker).toBe('unreachable')

      await proxy.restore()
      await waitFor(async () => (await (await fetch(s.url('/profile/api/health'))).json()).broker === 'connected', 8_000, 'api reconnected')
      await nothingHalfDone(s, email)
    } finally {
      await s.close()
      proxy.stop()
    }
  }, 15_000)
  test('a broker that stalls after taking the write: 202 with the operation, which resolves once the link recovers (never a 503 that proves false)', async () => {
    const link = await startStallingProxy(5672)
    const s = await startProfile('stall', { deferWorker: true, apiEnv: { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${link.port}`, COMMAND_WAIT_MS: '300' } })
    try {
      await topologyDeclared(s)
      // A first command opens the dispatcher's channel while the link is healthy (no worker: 202).
      expect((await post(s.url('/profile/api/students'), { email: uniqueEmail('warm') }, bearer(await admin()))).status).toBe(202)

      link.stall()
      const email = uniqueEmail('stall')
      const res = await post(s.url('/profile/api/students'), { email }, bearer(await admin()))
      link.release()
      expect(res.status).toBe(202)
      const location = res.headers.get('location')!
      expect(location).toMatch(/^\/profile\/api\/operations\//)
      await s.startWorker()
      await waitFor(async () => (await fetch(s.url(location), { headers: bearer(await admin()) })).status === 200, 10_000, 'the operation resolved')
      expect(await studentRows(s, email)).toHaveLength(1)
    } finally {
      await s.close()
      link.stop()
    }
  }, 20_000)
})

describe('the database unreachable', () => {
  test('a read route → 503 with Retry-After while the link is cut, and answers again once it is back', async () => {
    const s = await startProfile('dbcut', { deferWorker: true })
    const proxy = await startProxy(5432)
    const viaProxy = new URL(s.database.url)
    viaProxy.port = String(proxy.port)
    const env = { DATABASE_URL: viaProxy.href, RABBITMQ_URL, MEDTRACK_NAMESPACE: s.namespace, LOG_LEVEL: 'error', PORT: '0', JWT_SECRET: TEST_JWT_SECRET }
    const api = await startApi(profileApi, parseConfig(ApiConfig, env), silentLogger)
    try {
      const token = await admin()
      const read = (path: string) => fetch(`http://127.0.0.1:${api.port}/profile/api${path}`, { headers: bearer(token) })
      const student = `/students/${crypto.randomUUID()}`
      expect(await json(await read(student))).toEqual({ error: 'NOT_FOUND', message: 'student not found' })

      await proxy.cut()
      const notReady = await read('/ready')
      expect(notReady.status).toBe(503)
      // Said to anyone, so without the address behind it.
      expect((await json(notReady)).problems).toEqual(['database unreachable'])
      for (const path of [student, '/students', `/operations/${crypto.randomUUID()}`]) {
        const res = await read(path)
        expect(res.status).toBe(503)
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
        expect(await json(res)).toEqual({ error: 'SERVICE_UNAVAILABLE', message: expect.any(String) })
      }

      await proxy.restore()
      await waitFor(async () => (await read(student)).status === 404, 8_000, 'the database reachable again')
      expect((await read('/ready')).status).toBe(200)
    } finally {
      await api.stop()
      proxy.stop()
      await s.close()
    }
  }, 15_000)
})

describe('the worker stopped', () => {
  test('POST → 202 with Location; the operation is pending, then succeeded once the worker runs, and the row exists once', async () => {
    const s = await startProfile('wait', { deferWorker: true, apiEnv: { COMMAND_WAIT_MS: '300' } })
    try {
      await topologyDeclared(s)
      const email = uniqueEmail('later')
      const res = await post(s.url('/profile/api/students'), { email, last_name: 'Hopper' }, bearer(await admin()))
      expect(res.status).toBe(202)
      const location = res.headers.get('location')
      expect(location).toMatch(/^\/profile\/api\/operations\/[0-9a-f-]{36}$/)
      const accepted = await json(res)
      expect(accepted).toMatchObject({ status: 'pending' })
      expect(location).toBe(`/profile/api/operations/${accepted.operation_id}`)

      const pending = await fetch(s.url(location!), { headers: bearer(await admin()) })
      expect(pending.status).toBe(202)
      expect(await json(pending)).toMatchObject({ status: 'pending' })
      expect(await studentRows(s, email)).toHaveLength(0)

      await s.startWorker()
      let done: Response | undefined
      await waitFor(
        async () => {
          done = await fetch(s.url(location!), { headers: bearer(await admin()) })
          return done.status !== 202
        },
        10_000,
        'the operation to finish',
      )
      expect(done!.status).toBe(200)
      const outcome = await json(done!)
      expect(outcome).toMatchObject({ status: 'succeeded', http_status: 201, command_type: 'profile.create_student' })
      expect(outcome.result).toMatchObject({ email, last_name: 'Hopper' })

      const rows = await studentRows(s, email)
      expect(rows).toHaveLength(1)
      expect(outcome.result.id).toBe(rows[0]!.id)
      const [stored] = await s.database.db.select().from(profileCommandResults).where(eq(profileCommandResults.commandId, accepted.operation_id))
      expect(stored?.httpStatus).toBe(201)
      expect(stored?.actorId).toBe(ADMIN.sub)

      // The same id in upper case is the same operation.
      const upper = await fetch(s.url(`/profile/api/operations/${String(accepted.operation_id).toUpperCase()}`), { headers: bearer(await admin()) })
      expect(upper.status).toBe(200)
      expect(await json(upper)).toEqual(outcome)

      // Without a token: 401, as for any route that needs one. Another caller learns nothing: it looks pending to them.
      const anonymous = await fetch(s.url(location!))
      expect(anonymous.status).toBe(401)
      expect(await json(anonymous)).toMatchObject({ error: 'UNAUTHENTICATED' })
      const other = await fetch(s.url(location!), { headers: bearer(await studentToken()) })
      expect(other.status).toBe(202)
      expect(await json(other)).toEqual({ operation_id: accepted.operation_id, status: 'pending' })
    } finally {
      await s.close()
    }
  }, 15_000)
})
