import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Server } from 'bun'
import { openDatabase, parseConfig, PublishTimeoutError, SERVICES, silentLogger } from '../../core/index.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { closedPort } from '../../test/service.ts'
import { MAX_BODY_BYTES } from '../kit/errors.ts'
import { signToken, type Role } from '../kit/jwt.ts'
import { createGateway } from './app.ts'
import { GatewayConfig, upstreamUrls } from './config.ts'

/** What a stand-in service API saw of one request. */
interface Seen {
  method: string
  path: string
  search: string
  headers: Record<string, string>
  body: string
}

/** Tokens of the test: auth (its stand-in) knows `current`, has retired `retired`, and fails to check `unanswered`. */
const tokenOf = (role: Role) => signToken('gateway-test-secret-0123456789abcdef', { sub: crypto.randomUUID(), role })
const [current, retired, unanswered] = await Promise.all([tokenOf('admin'), tokenOf('student'), tokenOf('student')])

const seen: Record<string, Seen[]> = {}
const upstreams: Record<string, Server<undefined>> = {}
let releaseSlow: () => void = () => {}
const slow = new Promise<void>((resolve) => (releaseSlow = resolve))

/** A stand-in for one service API: records each request and answers by path. */
function standIn(service: string): Server<undefined> {
  seen[service] = []
  return Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url)
      const record: Seen = { method: req.method, path: url.pathname, search: url.search, headers: Object.fromEntries(req.headers), body: await req.text() }
      seen[service]!.push(record)
      const requestId = req.headers.get('x-request-id') ?? ''
      // auth's session check: a token retired by a password change is refused; one it cannot check fails.
      if (url.pathname === '/auth/api/me' && req.headers.has('authorization')) {
        const token = req.headers.get('authorization')!.split(/\s+/)[1]!
        if (token === retired) return Response.json({ error: 'UNAUTHENTICATED' }, { status: 401 })
        if (token === unanswered) return Response.json({ error: 'INTERNAL' }, { status: 500 })
        const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
        return Response.json({ id: claims.sub, role: claims.role })
      }
      switch (url.pathname.replace(`/${service}/api`, '')) {
        case '/students':
          return Response.json({ student_id: 'st-1', received: record.body }, { status: 201, headers: { location: `/${service}/api/students/st-1`, 'x-request-id': requestId } })
        case '/operations/late':
          return Response.json({ status: 'pending' }, { status: 202, headers: { location: `/${service}/api/operations/late`, 'retry-after': '1' } })
        case '/conflict':
          return Response.json({ error: 'CONFLICT', message: 'already there' }, { status: 409 })
        case '/missing':
          return Response.json({ error: 'NOT_FOUND', message: 'student not found' }, { status: 404 })
        case '/empty':
          return new Response(null, { status: 204, headers: { 'x-upstream': 'yes' } })
        case '/moved':
          return new Response(null, { status: 302, headers: { location: 'https://elsewhere.example/next' } })
        case '/compressed':
          return new Response(Bun.gzipSync(new TextEncoder().encode('compressed '.repeat(200))), { headers: { 'content-encoding': 'gzip', 'content-type': 'text/plain' } })
        case '/big':
          return new Response('y'.repeat(3 * 1024 * 1024), { headers: { 'content-type': 'text/plain' } })
        case '/echo-size':
          return Response.json({ bytes: record.body.length })
        case '/slow':
          await slow
          return Response.json({ late: true })
        case '/own-cors':
          return Response.json({ open: true }, { headers: { 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true', vary: 'Accept-Encoding' } })
        default:
          return Response.json({ service, path: url.pathname, search: url.search }, { headers: { 'set-cookie': 'a=1; Path=/', 'x-upstream': 'yes' } })
      }
    },
  })
}

// The proxy never touches the database or the bus: a pool that is never used, a publisher that would refuse.
const db = openDatabase('postgres://postgres@127.0.0.1:5432/medtrack', { max: 1 })
const publisher = { publishEnvelope: () => Promise.reject(new PublishTimeoutError(1)) }
let gateway: ReturnType<typeof createGateway>
let listening: ReturnType<typeof createGateway>

function gatewayFor(env: Record<string, string>) {
  return createGateway({ config: parseConfig(GatewayConfig, { LOG_LEVEL: 'error', ...env }), db, publisher, log: silentLogger })
}

beforeAll(async () => {
  for (const s of SERVICES) upstreams[s] = standIn(s)
  const env = Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_API_URL`, `http://127.0.0.1:${upstreams[s]!.port}`]))
  gateway = gatewayFor({ ...env, UPSTREAM_TIMEOUT_MS: '400' })
  listening = gatewayFor(env).listen({ port: 0, hostname: '127.0.0.1' })
})

afterAll(async () => {
  releaseSlow()
  await listening.stop()
  for (const s of Object.values(upstreams)) await s.stop(true)
  await db.$client.end({ timeout: 1 })
})

const call = (path: string, init: RequestInit = {}) => gateway.handle(new Request(`http://localhost${path}`, init))
const last = (service: string) => seen[service]!.at(-1)!

describe('forwarding /S/api/* to the service APIs', () => {
  test('each of the five prefixes reaches its own service API, query string included', async () => {
    for (const s of SERVICES) {
      const res = await call(`/${s}/api/things?page=2&per_page=5&q=a%20b`)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ service: s, path: `/${s}/api/things`, search: '?page=2&per_page=5&q=a%20b' })
    }
  })

  test('a POST passes method, path without its trailing slash, headers and body; the status, Location and body come back as they are', async () => {
    const body = JSON.stringify({ email: 'ana@example.org', first_name: 'Ana' })
    const res = await call('/profile/api/students/?notify=true', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${current}`,
        'idempotency-key': 'create-ana-1',
        'x-request-id': 'req-from-client-1',
        'accept-language': 'fr',
        connection: 'keep-alive, x-hop-only',
        'x-hop-only': 'not for the upstream',
      },
      body,
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('location')).toBe('/profile/api/students/st-1')
    expect(res.headers.get('x-request-id')).toBe('req-from-client-1')
    expect(await res.json()).toEqual({ student_id: 'st-1', received: body })

    const req = last('profile')
    expect(req).toMatchObject({ method: 'POST', path: '/profile/api/students', search: '?notify=true', body })
    expect(req.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: `Bearer ${current}`,
      'idempotency-key': 'create-ana-1',
      'x-request-id': 'req-from-client-1',
      'accept-language': 'fr',
      'x-forwarded-proto': 'http',
    })
    expect(req.headers['x-hop-only']).toBeUndefined()
  })

  test("the ops console's paths, /ops, /ops/ and anything under /ops, reach the ops API as they are; a token is checked as for /ops/api", async () => {
    for (const path of ['/ops', '/ops/', '/ops/index.html', '/ops/assets/app.js?v=2', '/ops/lineage/abc']) {
      const res = await call(path)
      expect(res.status).toBe(200)
      const url = new URL(`http://localhost${path}`)
      expect(await res.json()).toEqual({ service: 'ops', path: url.pathname.replace(/\/+$/, ''), search: url.search })
    }
    expect(await (await call('/ops/api/queues')).json()).toEqual({ service: 'ops', path: '/ops/api/queues', search: '' })
    const refused = await call('/ops/', { headers: { authorization: `Bearer ${retired}` } })
    expect(refused.status).toBe(401)
    // The other paths are the gateway's as before.
    expect((await call('/opsx')).status).toBe(404)
    expect((await call('/profile')).status).toBe(404)
  })

  test('/students and /students/ reach the same route', async () => {
    await call('/profile/api/students', { method: 'POST', body: '{}' })
    await call('/profile/api/students/', { method: 'POST', body: '{}' })
    expect(seen.profile!.slice(-2).map((r) => r.path)).toEqual(['/profile/api/students', '/profile/api/students'])
    const root = await call('/core/api/')
    expect(root.status).toBe(200)
    expect(last('core').path).toBe('/core/api')
  })

  test('without an X-Request-Id the gateway makes one, sends it upstream and returns it', async () => {
    const res = await call('/comm/api/messages')
    const id = res.headers.get('x-request-id')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(last('comm').headers['x-request-id']).toBe(id!)
  })

  test('other methods and statuses pass through unchanged: 202 + Location, 204, 404, 409, redirects not followed', async () => {
    const pending = await call('/core/api/operations/late')
    expect(pending.status).toBe(202)
    expect(pending.headers.get('location')).toBe('/core/api/operations/late')
    expect(pending.headers.get('retry-after')).toBe('1')

    const empty = await call('/eval/api/empty', { method: 'DELETE' })
    expect(empty.status).toBe(204)
    expect(empty.headers.get('x-upstream')).toBe('yes')
    expect(last('eval').method).toBe('DELETE')

    const patched = await call('/auth/api/conflict', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
    expect(patched.status).toBe(409)
    expect(await patched.json()).toEqual({ error: 'CONFLICT', message: 'already there' })
    expect(last('auth')).toMatchObject({ method: 'PATCH', body: '{"a":1}' })

    const put = await call('/profile/api/missing', { method: 'PUT', body: 'x' })
    expect(put.status).toBe(404)
    expect(await put.json()).toEqual({ error: 'NOT_FOUND', message: 'student not found' })

    const moved = await call('/comm/api/moved')
    expect(moved.status).toBe(302)
    expect(moved.headers.get('location')).toBe('https://elsewhere.example/next')
  })

  test('upstream headers (Set-Cookie too) and compressed bodies come back untouched', async () => {
    const plain = await call('/auth/api/me')
    expect(plain.headers.get('set-cookie')).toBe('a=1; Path=/')
    expect(plain.headers.get('x-upstream')).toBe('yes')
    const gz = await call('/comm/api/compressed', { headers: { 'accept-encoding': 'gzip' } })
    expect(gz.headers.get('content-encoding')).toBe('gzip')
    expect(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await gz.arrayBuffer())))).toBe('compressed '.repeat(200))
  })

  test('CORS: a page of an allowed origin gets its preflight answered (204) and may read every answer, errors included; other origins, or none set, get nothing of it', async () => {
    const env = Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_API_URL`, `http://127.0.0.1:${upstreams[s]!.port}`]))
    const cors = gatewayFor({ ...env, CORS_ORIGINS: 'http://localhost:5173, https://app.example.org/' })
    const preflight = await cors.handle(
      new Request('http://localhost/profile/api/students', { method: 'OPTIONS', headers: { origin: 'https://app.example.org', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, idempotency-key' } }),
    )
    expect(preflight.status).toBe(204)
    expect(Object.fromEntries([...preflight.headers].filter(([k]) => k.startsWith('access-control') || k === 'vary'))).toEqual({
      'access-control-allow-origin': 'https://app.example.org',
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'Authorization, Content-Type, Idempotency-Key, X-Request-Id',
      'access-control-expose-headers': 'Allow, Location, Retry-After, X-Request-Id',
      'access-control-max-age': '600',
      vary: 'Origin',
    })
    expect(seen.profile?.some((r) => r.method === 'OPTIONS') ?? false).toBe(false)

    const call = (path: string, origin?: string, app = cors) => app.handle(new Request(`http://localhost${path}`, { headers: origin ? { origin } : {} }))
    const forwarded = await call('/profile/api/things', 'http://localhost:5173')
    expect(forwarded.status).toBe(200)
    expect(forwarded.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    expect(forwarded.headers.get('access-control-expose-headers')).toBe('Allow, Location, Retry-After, X-Request-Id')
    expect(forwarded.headers.get('x-upstream')).toBe('yes')
    const missing = await call('/nowhere', 'http://localhost:5173')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')

    for (const [origin, app] of [['https://evil.example.net', cors], ['http://localhost:5173', gatewayFor(env)]] as const) {
      const res = await call('/profile/api/things', origin, app)
      expect(res.status).toBe(200)
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
    }
    const any = await call('/profile/api/things', 'http://x.example', gatewayFor({ ...env, CORS_ORIGINS: '*' }))
    expect(any.headers.get('access-control-allow-origin')).toBe('http://x.example')

    // With CORS on, every answer varies by Origin (none sent, or refused, too); a service API's own CORS never passes.
    expect((await call('/profile/api/things')).headers.get('vary')).toBe('Origin')
    for (const origin of ['https://evil.example.net', undefined]) {
      const own = await call('/profile/api/own-cors', origin)
      expect([own.headers.get('access-control-allow-origin'), own.headers.get('access-control-allow-credentials')]).toEqual([null, null])
      expect(own.headers.get('vary')).toBe('Accept-Encoding, Origin')
    }
    const ownAllowed = await call('/profile/api/own-cors', 'http://localhost:5173')
    expect(ownAllowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    expect(ownAllowed.headers.get('access-control-allow-credentials')).toBeNull()
    expect((await call('/profile/api/own-cors', undefined, gatewayFor(env))).headers.get('access-control-allow-origin')).toBeNull()
  })

  test('over HTTP, a large body streams through both ways and the caller address is forwarded', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024)
    const res = await fetch(`http://127.0.0.1:${listening.server!.port}/comm/api/echo-size`, { method: 'POST', body: big, headers: { 'content-type': 'text/plain' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ bytes: big.length })
    expect(last('comm').headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(last('comm').headers['x-forwarded-host']).toBe(`127.0.0.1:${listening.server!.port}`)
    const download = await fetch(`http://127.0.0.1:${listening.server!.port}/comm/api/big`)
    expect((await download.text()).length).toBe(3 * 1024 * 1024)
  })

  test("X-Forwarded-For is the address the gateway saw: a client's own (or X-Real-IP, Forwarded) is dropped, unless it comes through a proxy in TRUSTED_PROXIES; X-Real-IP is the client as the gateway tells it", async () => {
    const claims = { 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9', forwarded: 'for=203.0.113.9' }
    await fetch(`http://127.0.0.1:${listening.server!.port}/comm/api/where`, { headers: claims })
    expect(last('comm').headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(last('comm').headers['x-real-ip']).toBe('127.0.0.1')
    expect(last('comm').headers.forwarded).toBeUndefined()

    // In-process (no socket), nothing is known of the caller: no X-Forwarded-For at all.
    await call('/comm/api/where', { headers: claims })
    expect(last('comm').headers['x-forwarded-for']).toBeUndefined()
    expect(last('comm').headers['x-real-ip']).toBeUndefined()

    const env = Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_API_URL`, `http://127.0.0.1:${upstreams[s]!.port}`]))
    for (const [trusted, forwardedFor, seenFor, client] of [
      ['10.0.0.7, 127.0.0.1', '203.0.113.9', '203.0.113.9, 127.0.0.1', '203.0.113.9'],
      ['::ffff:127.0.0.1', '203.0.113.9', '203.0.113.9, 127.0.0.1', '203.0.113.9'],
      ['10.0.0.7', '203.0.113.9', '127.0.0.1', '127.0.0.1'],
      // A trusted proxy that appends to what its own client claimed: the claim before the proxy's own entry is not believed.
      ['10.0.0.7, 127.0.0.1', '198.51.100.1, 203.0.113.9, 10.0.0.7', '198.51.100.1, 203.0.113.9, 10.0.0.7, 127.0.0.1', '203.0.113.9'],
    ] as const) {
      const behindProxy = gatewayFor({ ...env, TRUSTED_PROXIES: trusted }).listen({ port: 0, hostname: '127.0.0.1' })
      try {
        await fetch(`http://127.0.0.1:${behindProxy.server!.port}/comm/api/where`, { headers: { 'x-forwarded-for': forwardedFor } })
        expect(last('comm').headers['x-forwarded-for']).toBe(seenFor)
        expect(last('comm').headers['x-real-ip']).toBe(client)
      } finally {
        await behindProxy.stop()
      }
    }
  })

  test('an upload (multipart/form-data) over 10 MiB is streamed through: the service API taking it knows its own limit', async () => {
    const big = 'x'.repeat(MAX_BODY_BYTES + 1024)
    const res = await fetch(`http://127.0.0.1:${listening.server!.port}/comm/api/echo-size`, { method: 'POST', body: big, headers: { 'content-type': 'multipart/form-data; boundary=x' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ bytes: big.length })
  })

  test('a body declared over 10 MiB → 413 in JSON; the service API never sees it', async () => {
    const before = seen.comm!.length
    const res = await fetch(`http://127.0.0.1:${listening.server!.port}/comm/api/echo-size`, { method: 'POST', body: 'x'.repeat(MAX_BODY_BYTES + 1), headers: { 'content-type': 'text/plain', 'x-request-id': 'req-big' } })
    expect(res.status).toBe(413)
    expect(res.headers.get('x-request-id')).toBe('req-big')
    expect(await res.json()).toEqual({ error: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining(String(MAX_BODY_BYTES)) })
    expect(seen.comm!.length).toBe(before)
  })
})

describe('when forwarding fails', () => {
  test('an API that is down answers 502 BAD_GATEWAY in JSON, quickly', async () => {
    const down = gatewayFor({ PROFILE_API_URL: `http://127.0.0.1:${await closedPort()}` })
    const started = Date.now()
    const res = await down.handle(new Request('http://localhost/profile/api/students', { headers: { 'x-request-id': 'req-down' } }))
    expect(res.status).toBe(502)
    expect(res.headers.get('x-request-id')).toBe('req-down')
    expect(await res.json()).toEqual({ error: 'BAD_GATEWAY', message: expect.any(String) })
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  test('unset, every service API is at its own port, eval included: /eval/api is forwarded like the others, never a 404 of the gateway', async () => {
    expect(upstreamUrls(parseConfig(GatewayConfig, {}))).toEqual({
      auth: 'http://127.0.0.1:3001',
      profile: 'http://127.0.0.1:3002',
      core: 'http://127.0.0.1:3003',
      comm: 'http://127.0.0.1:3004',
      eval: 'http://127.0.0.1:3005',
      ops: 'http://127.0.0.1:3006',
    })
    const res = await gateway.handle(new Request('http://localhost/eval/api/missing'))
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: 'NOT_FOUND', message: 'student not found' })
    expect(last('eval').path).toBe('/eval/api/missing')
  })

  test('an API that does not answer in time is a 504, not a hang', async () => {
    const started = Date.now()
    const res = await call('/eval/api/slow')
    expect(res.status).toBe(504)
    expect(await res.json()).toEqual({ error: 'GATEWAY_TIMEOUT', message: 'the service did not answer within 400 ms' })
    expect(Date.now() - started).toBeLessThan(2_000)
  })
})

describe('the gateway itself', () => {
  test.each(['/', '/nope', '/billing/api/things', '/profile/students', '/profileapi/x', '/constructor/api/x', '/events/unknown', '/health/api'])('%s is a 404 in JSON', async (path) => {
    const res = await call(path)
    expect(res.status).toBe(404)
    expect(res.headers.get('x-request-id')).toBeTruthy()
    expect(await res.json()).toEqual({ error: 'NOT_FOUND', message: `no route GET ${path}` })
  })

  test("a token auth has retired is refused at the gateway, whatever the case of the scheme; the service never sees the request", async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const before = seen.profile!.length
      const res = await call('/profile/api/students', { headers: { authorization: `${scheme} ${retired}` } })
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: 'UNAUTHENTICATED', message: 'this token is no longer valid; log in again' })
      expect(seen.profile!.length).toBe(before)
    }
    const ok = await call('/profile/api/students', { method: 'POST', headers: { authorization: `bearer ${current}` } })
    expect(ok.status).toBe(201)
  })

  test('a token auth cannot check (it fails, or does not answer) → 503 with Retry-After, never waved through; the service never sees the request', async () => {
    const before = seen.profile!.length
    const res = await call('/profile/api/students', { method: 'POST', headers: { authorization: `Bearer ${unanswered}`, 'content-type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('2')
    expect(await res.json()).toEqual({ error: 'SERVICE_UNAVAILABLE', message: 'this token cannot be checked right now; try again' })

    const env = Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_API_URL`, `http://127.0.0.1:${upstreams[s]!.port}`]))
    const authDown = gatewayFor({ ...env, AUTH_API_URL: `http://127.0.0.1:${await closedPort()}` })
    const down = await authDown.handle(new Request('http://localhost/profile/api/students', { headers: { authorization: `Bearer ${await tokenOf('student')}` } }))
    expect(down.status).toBe(503)
    expect(down.headers.get('retry-after')).toBe('2')
    expect(seen.profile!.length).toBe(before)
    // Without a token nothing needs checking: the request goes on (the service answers for itself).
    expect((await authDown.handle(new Request('http://localhost/profile/api/things'))).status).toBe(200)
  })

  test("a method the gateway's own paths do not take → 405 with Allow, in JSON; an unknown path stays a 404", async () => {
    for (const [method, path, allow] of [
      ['GET', '/events/publish', 'POST'],
      ['PUT', '/events/webhook', 'POST'],
      ['POST', '/health', 'GET, HEAD'],
      ['DELETE', '/events/catalogue', 'GET, HEAD'],
    ] as const) {
      const res = await call(path, { method })
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe(allow)
      expect(await res.json()).toEqual({ error: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed on ${path}; it takes ${allow}` })
    }
    expect((await call('/events/nothing', { method: 'POST' })).status).toBe(404)
  })

  test('GET /health answers for the gateway', async () => {
    const res = await call('/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok', service: 'gateway', broker: 'connected' })
  })

  test('GET /events/catalogue is the AsyncAPI document of every event type', async () => {
    const res = await call('/events/catalogue')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    const doc = await res.json()
    expect(doc.asyncapi).toBe('3.0.0')
    expect(Object.keys(doc.channels).sort()).toEqual(Object.keys(catalogue).sort())
    expect(JSON.stringify(doc)).not.toContain('guest:guest')
  })
})
