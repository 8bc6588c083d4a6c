import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Connection } from 'rabbitmq-client'
import { createEventConsumer, createPublisher, Names, notFound, openDatabase, parseConfig, silentLogger, topology, type Envelope } from '../../core/index.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { connect, messageCount, RABBITMQ_URL, testNamespace, waitFor } from '../../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import { closedPort } from '../../test/service.ts'
import { createGateway } from './app.ts'
import { GatewayConfig } from './config.ts'
import { createApiKey, revokeApiKey } from './key-store.ts'
import { generateKey } from './keys.ts'

const namespace = testNamespace('gateway')
const names = new Names(namespace)
const queue = `${namespace}.gateway-test`
const broker = connect('gateway-publish-test')
const publisher = createPublisher({ connection: broker, catalogue, service: 'gateway', namespace })
let database: TestDatabase
let gateway: ReturnType<typeof createGateway>
const keys: Record<string, string> = {}

const student = () => ({ student_id: crypto.randomUUID(), user_id: crypto.randomUUID(), email: 'ana@example.org', first_name: 'Ana' })
const grade = () => ({ student_id: crypto.randomUUID(), stage_id: crypto.randomUUID(), final_grade: 15 })

function gatewayFor(env: Record<string, string>, deps: Partial<Parameters<typeof createGateway>[0]> = {}) {
  const config = parseConfig(GatewayConfig, { DATABASE_URL: database.url, RABBITMQ_URL, MEDTRACK_NAMESPACE: namespace, LOG_LEVEL: 'error', ...env })
  return createGateway({ config, db: database.db, publisher, log: silentLogger, ...deps })
}

function post(body: unknown, o: { key?: string; headers?: Record<string, string>; path?: string; app?: typeof gateway } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers }
  if (o.key) headers.authorization = `Bearer ${o.key}`
  return (o.app ?? gateway).handle(new Request(`http://localhost${o.path ?? '/events/publish'}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }))
}

/** Messages that reached the test queue (bound to every event type) and are still there. */
const queued = () => messageCount(broker, queue)

async function take() {
  const msg = await broker.basicGet({ queue, noAck: true })
  if (!msg) throw new Error('no message in the test queue')
  // rabbitmq-client decodes application/json bodies.
  return { msg, envelope: msg.body }
}

beforeAll(async () => {
  database = await createTestDatabase('gateway')
  await broker.exchangeDeclare({ exchange: names.events, type: 'topic', durable: true })
  await broker.queueDeclare({ queue, exclusive: true })
  await broker.queueBind({ queue, exchange: names.events, routingKey: '#' })
  for (const [name, patterns] of Object.entries({ students: ['student.*'], everything: ['*'], grades: ['grade.assigned'], revoked: ['#'] })) {
    keys[name] = (await createApiKey(database.db, { name, patterns }))!.key
  }
  await revokeApiKey(database.db, 'revoked')
  gateway = gatewayFor({ KEY_CACHE_MS: '200' })
})

afterAll(async () => {
  await publisher.close()
  await broker.queueDelete({ queue })
  await broker.exchangeDelete({ exchange: names.events })
  await broker.close()
  await database.drop()
})

describe('POST /events/publish', () => {
  test('an allowed, valid event is published once, as an envelope from the key (external:<key name>) with the request id as correlation id: 202', async () => {
    const payload = student()
    const res = await post({ event_type: 'student.created', payload, service_name: 'hospital-sync' }, { key: keys.students, headers: { 'x-request-id': 'ext-req-1' } })
    expect(res.status).toBe(202)
    expect(res.headers.get('x-request-id')).toBe('ext-req-1')
    const body = await res.json()
    expect(body).toEqual({ event_id: expect.stringMatching(/^[0-9a-f-]{36}$/), event_type: 'student.created' })

    expect(await queued()).toBe(1)
    const { msg, envelope } = await take()
    expect(envelope).toEqual({
      event_id: body.event_id,
      event_type: 'student.created',
      version: '1.0',
      service: 'external:students',
      timestamp: expect.any(String),
      correlation_id: 'ext-req-1',
      causation_id: null,
      payload,
    })
    expect(msg.routingKey).toBe('student.created')
    expect(msg.messageId).toBe(body.event_id)
    expect(msg.type).toBe('student.created')
    expect(msg.correlationId).toBe('ext-req-1')
    expect(msg.contentType).toBe('application/json')
    expect(msg.durable).toBe(true)
    expect(await queued()).toBe(0)
  })

  test('POST /events/webhook is the same endpoint; a key for * publishes any type', async () => {
    const res = await post({ event_type: 'grade.assigned', payload: grade(), service_name: 'exam-board' }, { key: keys.everything, path: '/events/webhook' })
    expect(res.status).toBe(202)
    const { event_id } = await res.json()
    expect(await queued()).toBe(1)
    expect((await take()).envelope).toMatchObject({ event_id, event_type: 'grade.assigned', service: 'external:everything' })
  })

  test('a retry with the same Idempotency-Key is answered with the same event id and not published again, however long after (consumers forget event ids; the gateway does not)', async () => {
    const payload = grade()
    const first = await (await post({ event_type: 'grade.assigned', payload, service_name: 'exam-board' }, { key: keys.grades, headers: { 'idempotency-key': 'grade-42' } })).json()
    const again = await (await post({ event_type: 'grade.assigned', payload, service_name: 'exam-board' }, { key: keys.grades, headers: { 'idempotency-key': 'grade-42' } })).json()
    const other = await (await post({ event_type: 'grade.assigned', payload, service_name: 'exam-board' }, { key: keys.grades, headers: { 'idempotency-key': 'grade-43' } })).json()
    expect(again).toEqual(first)
    expect(other.event_id).not.toBe(first.event_id)
    expect(await queued()).toBe(2)
    expect([(await take()).envelope.event_id, (await take()).envelope.event_id]).toEqual([first.event_id, other.event_id])
    // A gateway started afresh (another replica, a restart) knows it too.
    const restarted = await (await post({ event_type: 'grade.assigned', payload, service_name: 'exam-board' }, { key: keys.grades, headers: { 'idempotency-key': 'grade-42' }, app: gatewayFor({}) })).json()
    expect(restarted).toEqual(first)
    expect(await queued()).toBe(0)
  })

  test('the same Idempotency-Key with another event is another event id: not dropped by consumers as a duplicate', async () => {
    const headers = { 'idempotency-key': 'order-7' }
    const [a, b] = [grade(), grade()]
    const first = await (await post({ event_type: 'grade.assigned', payload: a, service_name: 'exam-board' }, { key: keys.grades, headers })).json()
    const second = await (await post({ event_type: 'grade.assigned', payload: b, service_name: 'exam-board' }, { key: keys.grades, headers })).json()
    // The same event with its fields in another order is the same event.
    const reordered = Object.fromEntries(Object.entries(a).reverse())
    const retried = await (await post({ service_name: 'exam-board', payload: reordered, event_type: 'grade.assigned' }, { key: keys.grades, headers })).json()
    expect(second.event_id).not.toBe(first.event_id)
    expect(retried.event_id).toBe(first.event_id)
    expect(await queued()).toBe(2)
    const taken = [await take(), await take()].map((t) => [t.envelope.event_id, t.envelope.payload])
    expect(taken).toEqual([
      [first.event_id, a],
      [second.event_id, b],
    ])
  })

  test("a body naming one of the platform's services as its producer is still the key's event: service is external:<key name>", async () => {
    for (const service_name of ['profile-service', 'auth-service', 'profile']) {
      const res = await post({ event_type: 'student.created', payload: student(), service_name }, { key: keys.students })
      expect(res.status).toBe(202)
      expect((await take()).envelope.service).toBe('external:students')
    }
    expect(await queued()).toBe(0)
  })

  test('a body nesting deeper than 64 levels: 422 at its field, never a 503 inviting a retry or a 500', async () => {
    // 30,000 levels fit in the endpoint's 64 KiB.
    for (const depth of [65, 30_000]) {
      const body = `{"event_type":"grade.assigned","service_name":"exam-board","payload":{"student_id":"${crypto.randomUUID()}","stage_id":"${crypto.randomUUID()}","final_grade":12,"note":${'['.repeat(depth)}${']'.repeat(depth)}}}`
      const res = await post(body, { key: keys.grades })
      expect(res.status).toBe(422)
      expect(await res.json()).toMatchObject({ error: 'VALIDATION_FAILED', problems: [{ path: '/payload' }] })
    }
    expect(await queued()).toBe(0)
  })
})

describe('an external system publishes an event (cascade 4 of docs/architecture.md)', () => {
  test('an external event is consumed like any other: the core service queue receives it and its handler gets the envelope', async () => {
    const received: Envelope[] = []
    const consumer = await createEventConsumer({
      connection: broker,
      catalogue,
      service: 'core',
      namespace,
      handlers: { 'student.created': (event) => void received.push(event) },
    })
    try {
      await consumer.ready
      const payload = student()
      const res = await post({ event_type: 'student.created', payload, service_name: 'hospital-sync' }, { key: keys.students, headers: { 'x-request-id': 'ext-cascade-1' } })
      expect(res.status).toBe(202)
      const { event_id } = await res.json()
      await waitFor(() => received.length === 1, 5_000, 'core consumed the event')
      expect(received[0]).toMatchObject({ event_id, event_type: 'student.created', service: 'external:students', correlation_id: 'ext-cascade-1', payload })
      expect(consumer.stats.dead).toBe(0)
    } finally {
      await consumer.close()
      // The core queues and exchanges go; the events exchange the other tests publish to stays.
      const core = topology({ namespace, services: ['core'] })
      for (const q of core.queues) await broker.queueDelete({ queue: q.queue })
      for (const e of core.exchanges.filter((e) => e.exchange !== names.events)) await broker.exchangeDelete({ exchange: e.exchange })
      await take()
    }
  })
})

describe('refused: nothing is published', () => {
  const valid = () => ({ event_type: 'student.created', payload: student(), service_name: 'hospital-sync' })

  test.each([
    ['no Authorization header', {}],
    ['a key nobody issued', { key: generateKey() }],
    ['something that is not a key', { key: 'not-a-key' }],
    ['a revoked key', { key: 'revoked' }],
    ['another scheme', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }],
  ] as const)('%s: 401', async (_, o) => {
    const key = 'key' in o ? (keys[o.key] ?? o.key) : undefined
    const res = await post(valid(), { ...o, key })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    expect(await res.json()).toEqual({ error: 'UNAUTHENTICATED', message: expect.any(String) })
    expect(await queued()).toBe(0)
  })

  test('the key is checked before the body: a bad body without a key is a 401', async () => {
    expect((await post('{not json')).status).toBe(401)
    expect((await post({})).status).toBe(401)
  })

  test('the key is checked before the body is read at all: without a valid key, not one byte of it is taken', async () => {
    let pulled = 0
    const body = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          pulled++
          c.enqueue(new TextEncoder().encode(' '.repeat(1024 * 1024)))
          if (pulled === 9) c.close()
        },
      },
      { highWaterMark: 0 },
    )
    for (const authorization of [undefined, 'Bearer mtk_not-a-key', `Bearer ${generateKey()}`]) {
      const res = await gateway.handle(new Request('http://localhost/events/publish', { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body, duplex: 'half' } as RequestInit))
      expect(res.status).toBe(401)
    }
    expect(pulled).toBe(0)
  })

  test('a body over 64 KiB, declared or sent chunked: 413 naming the limit, with a valid key; nothing published', async () => {
    const big = JSON.stringify({ ...valid(), padding: 'x'.repeat(64 * 1024) })
    const declared = await post(big, { key: keys.students })
    expect(declared.status).toBe(413)
    expect(await declared.json()).toEqual({ error: 'PAYLOAD_TOO_LARGE', message: 'the request body is larger than 65536 bytes, the most this route takes', problems: [{ path: '/', message: 'must be at most 65536 bytes' }] })
    const chunked = new ReadableStream({
      start(c) {
        for (let i = 0; i < big.length; i += 8 * 1024) c.enqueue(new TextEncoder().encode(big.slice(i, i + 8 * 1024)))
        c.close()
      },
    })
    const streamed = await gateway.handle(new Request('http://localhost/events/publish', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.students}` }, body: chunked, duplex: 'half' } as RequestInit))
    expect(streamed.status).toBe(413)
    expect(await queued()).toBe(0)
  })

  test('a body not sent as JSON (a form, plain text, no content-type): 415 naming the content-type, after the key is checked', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await post(valid(), { key: keys.everything, headers: { 'content-type': type } })
      expect(res.status).toBe(415)
      expect(await res.json()).toEqual({
        error: 'UNSUPPORTED_MEDIA_TYPE',
        message: `the request body must be JSON, sent as application/json, not ${type.split(';')[0]}`,
        problems: [{ path: '/headers/content-type', message: 'must be application/json' }],
      })
    }
    const untyped = await gateway.handle(new Request('http://localhost/events/publish', { method: 'POST', headers: { authorization: `Bearer ${keys.everything}` }, body: new Blob([JSON.stringify(valid())]) }))
    expect(untyped.status).toBe(415)
    expect((await post(valid(), { headers: { 'content-type': 'text/plain' } })).status).toBe(401)
    expect(await queued()).toBe(0)
  })

  test('a body that is not JSON: 400', async () => {
    const res = await post('{not json', { key: keys.everything })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error: 'MALFORMED_JSON', message: 'the request body is not valid JSON' })
    expect(await queued()).toBe(0)
  })

  test('missing or malformed fields: 422 naming each path', async () => {
    const res = await post({ payload: [], service_name: '' }, { key: keys.everything })
    expect(res.status).toBe(422)
    const body = await res.json()
    expect(body.error).toBe('VALIDATION_FAILED')
    expect(body.problems.map((p: { path: string }) => p.path).sort()).toEqual(['/event_type', '/payload', '/service_name'])
    expect(await queued()).toBe(0)
  })

  test('an event type the catalogue does not have: 422 at /event_type, even for a key that may publish everything', async () => {
    for (const key of [keys.everything, keys.students]) {
      const res = await post({ event_type: 'student.graduated', payload: {}, service_name: 'hospital-sync' }, { key })
      expect(res.status).toBe(422)
      expect(await res.json()).toEqual({ error: 'VALIDATION_FAILED', message: "unknown event type 'student.graduated'", problems: [{ path: '/event_type', message: "unknown event type 'student.graduated'" }] })
    }
    expect(await queued()).toBe(0)
  })

  test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])("an event type named like a property every object has (%s): 422 at /event_type, not a 403 or a 500", async (type) => {
    for (const key of [keys.everything, keys.students]) {
      const res = await post({ event_type: type, payload: {}, service_name: 'hospital-sync' }, { key })
      expect(res.status).toBe(422)
      expect(await res.json()).toEqual({ error: 'VALIDATION_FAILED', message: `unknown event type '${type}'`, problems: [{ path: '/event_type', message: `unknown event type '${type}'` }] })
    }
    expect(await queued()).toBe(0)
  })

  test('a type the key may not publish: 403', async () => {
    const res = await post({ event_type: 'grade.assigned', payload: grade(), service_name: 'hospital-sync' }, { key: keys.students })
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({ error: 'FORBIDDEN', message: "the API key 'students' may not publish grade.assigned" })
    expect(await queued()).toBe(0)
  })

  test('a payload that fails its schema: 422 with the paths under /payload', async () => {
    const res = await post({ event_type: 'student.created', payload: { student_id: 'not-a-uuid', email: 'nobody' }, service_name: 'hospital-sync' }, { key: keys.students })
    expect(res.status).toBe(422)
    const body = await res.json()
    expect(body.message).toBe('invalid payload for student.created')
    expect(body.problems.map((p: { path: string }) => p.path).sort()).toEqual(['/payload/email', '/payload/student_id', '/payload/user_id'])
    expect(await queued()).toBe(0)
  })

  test('a key revoked while in use stops working within a few seconds', async () => {
    const { key } = (await createApiKey(database.db, { name: 'short-lived', patterns: ['student.*'] }))!
    expect((await post(valid(), { key })).status).toBe(202)
    await take()
    await revokeApiKey(database.db, 'short-lived')
    // Probed with an invalid payload: 422 while the key still counts, 401 once it does not, nothing published either way.
    const probe = { event_type: 'student.created', payload: {}, service_name: 'hospital-sync' }
    const started = Date.now()
    await waitFor(async () => (await post(probe, { key })).status === 401, 5_000, 'the revoked key refused')
    expect(Date.now() - started).toBeLessThan(3_000)
    expect((await post(valid(), { key })).status).toBe(401)
    expect(await queued()).toBe(0)
  })

  test('a broker that does not confirm: 503 with Retry-After', async () => {
    const away = new Connection({ url: `amqp://guest:guest@127.0.0.1:${await closedPort()}`, acquireTimeout: 300, retryLow: 100, retryHigh: 200 })
    away.on('error', () => {})
    const unconfirmed = createPublisher({ connection: away, catalogue, service: 'gateway', namespace, confirmTimeoutMs: 1_000 })
    try {
      const app = gatewayFor({}, { publisher: unconfirmed })
      const res = await post(valid(), { key: keys.students, app })
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('5')
      expect(await res.json()).toEqual({ error: 'SERVICE_UNAVAILABLE', message: expect.any(String) })
      expect(await queued()).toBe(0)
    } finally {
      await away.close()
    }
  })

  test('a MedTrack error coded NOT_FOUND answers with its own message, not as an unknown route', async () => {
    const app = gatewayFor({}, { publisher: { publishEnvelope: () => Promise.reject(notFound('event stream')) } })
    const res = await post(valid(), { key: keys.students, app })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: 'NOT_FOUND', message: 'event stream not found' })
    const unknown = await app.handle(new Request('http://localhost/events/nowhere'))
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({ error: 'NOT_FOUND', message: 'no route GET /events/nowhere' })
    expect(await queued()).toBe(0)
  })

  test('a database that cannot be reached: 503 with Retry-After, not a 401 or a 500', async () => {
    const db = openDatabase(`postgres://postgres@127.0.0.1:${await closedPort()}/medtrack`, { max: 1, connectTimeout: 1 })
    try {
      const res = await post(valid(), { key: keys.students, app: gatewayFor({}, { db }) })
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('5')
      expect(await queued()).toBe(0)
    } finally {
      await db.$client.end({ timeout: 1 })
    }
  })
})
