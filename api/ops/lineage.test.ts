import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SERVICES } from '../../core/index.ts'
import { closedPort, jsonClient, startService, tokenFor, type Service } from '../../test/service.ts'
import { opsApi } from './app.ts'
import type { AppliedMessage } from '../../workers/kit/applied.ts'
import { serveWorkerHttp } from '../../workers/kit/http.ts'
import { Metrics } from '../../workers/kit/metrics.ts'
import { audit } from './test-audit.ts'

/**
 * A worker's HTTP port as far as lineage asks it, the kit's own: `GET
 * /applied?ids=a&ids=b…` answers the inbox rows it holds of those ids
 * (`inbox`), after `delayMs`.
 */
function appliedEndpoint(service: string, inbox: AppliedMessage[], delayMs = 0) {
  const asked: string[][] = []
  const http = serveWorkerHttp({
    port: 0,
    hostname: '127.0.0.1',
    service,
    metrics: new Metrics(),
    ready: async () => [],
    async applied(ids) {
      asked.push(ids)
      await Bun.sleep(delayMs)
      return inbox.filter((r) => ids.includes(r.message_id))
    },
  })
  return { url: `http://127.0.0.1:${http.port}`, inbox, asked, stop: http.stop }
}

const t0 = Date.parse('2026-11-20T10:00:00Z')
const time = (s: number) => new Date(t0 + s * 1000)
const iso = (s: number) => time(s).toISOString()

let s: Service
let admin: ReturnType<typeof jsonClient>
const request = crypto.randomUUID()
const command = crypto.randomUUID()
const [userCreated, studentCreated, welcome, verified, other] = Array.from({ length: 5 }, () => crypto.randomUUID() as string) as [string, string, string, string, string]
const outsider = crypto.randomUUID()
const workers = {
  profile: appliedEndpoint('profile', [{ message_id: command, consumer: 'commands', received_at: iso(0.5) }]),
  auth: appliedEndpoint('auth', [{ message_id: studentCreated, consumer: 'events', received_at: iso(2.2) }]),
  comm: appliedEndpoint('comm', [
    { message_id: studentCreated, consumer: 'events', received_at: iso(2.1) },
    { message_id: userCreated, consumer: 'events', received_at: iso(1.1) },
  ]),
  // Answers, but later than the ops API waits.
  eval: appliedEndpoint('eval', [{ message_id: studentCreated, consumer: 'events', received_at: iso(2.3) }], 3_000),
}

beforeAll(async () => {
  const away = `http://127.0.0.1:${await closedPort()}`
  const urls = Object.fromEntries(SERVICES.map((x) => [`${x.toUpperCase()}_WORKER_URL`, workers[x as keyof typeof workers]?.url ?? away]))
  s = await startService({ label: 'ops_lineage', api: opsApi, apiEnv: { ...urls, WORKER_TIMEOUT_MS: '500' } })
  admin = jsonClient(s.url('/ops/api'), tokenFor('admin'))
  // A registration: the request's command made user.created; profile made student.created of it, comm welcomed the student.
  await audit(s.database.db, [
    { type: 'user.created', eventId: userCreated, correlationId: request, causationId: command, occurredAt: time(1), producer: 'auth-service', envelope: { causation_type: 'auth.register_user' } },
    { type: 'student.created', eventId: studentCreated, correlationId: request, causationId: userCreated, occurredAt: time(2), producer: 'profile-service' },
    { type: 'notification.created', eventId: welcome, correlationId: request, causationId: studentCreated, occurredAt: time(3), producer: 'comm-service' },
    // Caused by a command nothing says the type of.
    { type: 'user.verified', eventId: verified, correlationId: request, causationId: outsider, occurredAt: time(4), producer: 'auth-service' },
    { type: 'stage.created', eventId: other, correlationId: crypto.randomUUID(), occurredAt: time(5), producer: 'core-service' },
  ])
}, 30_000)

afterAll(async () => {
  await s.close()
  for (const w of Object.values(workers)) w.stop()
}, 30_000)

const expectedTree = [
  {
    id: command,
    kind: 'command',
    type: 'auth.register_user',
    producer: 'auth-api',
    occurred_at: null,
    consumers: [{ service: 'profile', received_at: iso(0.5) }],
    children: [
      {
        id: userCreated,
        kind: 'event',
        type: 'user.created',
        producer: 'auth-service',
        occurred_at: iso(1),
        consumers: [{ service: 'comm', received_at: iso(1.1) }],
        children: [
          {
            id: studentCreated,
            kind: 'event',
            type: 'student.created',
            producer: 'profile-service',
            occurred_at: iso(2),
            consumers: [
              { service: 'comm', received_at: iso(2.1) },
              { service: 'auth', received_at: iso(2.2) },
            ],
            children: [{ id: welcome, kind: 'event', type: 'notification.created', producer: 'comm-service', occurred_at: iso(3), consumers: [], children: [] }],
          },
        ],
      },
    ],
  },
  {
    id: outsider,
    kind: 'command',
    type: null,
    producer: null,
    occurred_at: null,
    consumers: [],
    children: [{ id: verified, kind: 'event', type: 'user.verified', producer: 'auth-service', occurred_at: iso(4), consumers: [], children: [] }],
  },
]

describe('GET /ops/api/lineage/:id', () => {
  test('from the correlation id (the X-Request-Id): the causation tree of the whole cascade, commands at the roots, each step with the services that applied it; a worker that answers too late is named unreachable', async () => {
    const res = await admin.get(`/lineage/${request}`)
    expect(res.status).toBe(200)
    expect(res.body.id).toBe(request)
    expect(res.body.correlation_id).toBe(request)
    expect(res.body.roots).toEqual(expectedTree)
    // eval answers after 3 s, the others are not running at all.
    expect(res.body.unreachable.sort()).toEqual(['core', 'eval', 'ops'])
    // The workers were asked of every step at once.
    expect(workers.comm.asked.at(-1)!.sort()).toEqual([command, outsider, userCreated, studentCreated, welcome, verified].sort())
  })

  test('from an event of it, deep in the cascade, or from the command that began it: the same tree', async () => {
    for (const id of [welcome, command]) {
      const res = await admin.get(`/lineage/${id}`)
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ id, correlation_id: request })
      expect(res.body.roots).toEqual(expectedTree)
    }
  })

  test('an event caused by an event audited under another correlation hangs under it; a loop of causes is cut, each event shown once', async () => {
    const root = crypto.randomUUID()
    const [cause, effect, a, b] = Array.from({ length: 4 }, () => crypto.randomUUID() as string) as [string, string, string, string]
    await audit(s.database.db, [
      { type: 'stage.accepted', eventId: cause, correlationId: crypto.randomUUID(), occurredAt: time(10) },
      { type: 'notification.created', eventId: effect, correlationId: root, causationId: cause, occurredAt: time(11) },
      { type: 'stage.started', eventId: a, correlationId: root, causationId: b, occurredAt: time(12) },
      { type: 'stage.completed', eventId: b, correlationId: root, causationId: a, occurredAt: time(13) },
    ])
    const res = await admin.get(`/lineage/${root}`)
    expect(res.status).toBe(200)
    const shape = (n: { id: string; kind: string; children: unknown[] }): unknown => ({ id: n.id, kind: n.kind, children: (n.children as never[]).map(shape) })
    expect(res.body.roots.map(shape)).toEqual([
      { id: cause, kind: 'event', children: [{ id: effect, kind: 'event', children: [] }] },
      { id: a, kind: 'event', children: [{ id: b, kind: 'event', children: [] }] },
    ])
  })

  test('a cascade of long ids holding commas: each asked of the workers as it is, in as many requests as their length needs, every consumer told', async () => {
    const correlation = crypto.randomUUID()
    // 200 characters each, 900 once in a URL: thirty of them are more than a worker takes in one request line.
    const ids = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(2, '0')},${'é,'.repeat(98)}é`)
    await audit(s.database.db, ids.map((eventId, i) => ({ type: 'stage.updated', eventId, correlationId: correlation, occurredAt: time(20 + i) })))
    workers.comm.inbox.push(...ids.map((message_id, i) => ({ message_id, consumer: 'events', received_at: iso(20.5 + i) })))
    const asked = workers.comm.asked.length
    const res = await admin.get(`/lineage/${correlation}`)
    expect(res.status).toBe(200)
    expect(res.body.unreachable).not.toContain('comm')
    expect(res.body.roots.map((n: { id: string; consumers: unknown[] }) => [n.id, n.consumers])).toEqual(ids.map((id, i) => [id, [{ service: 'comm', received_at: iso(20.5 + i) }]]))
    expect(workers.comm.asked.slice(asked).flat().sort()).toEqual([...ids].sort())
  })

  test('an id nothing audited knows is a 404 saying where it was looked for', async () => {
    const res = await admin.get(`/lineage/${crypto.randomUUID()}`)
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ error: 'NOT_FOUND', message: 'nothing in the audit trail has this id: no event has it as its id, its cause or its correlation id (a command is known by the events it caused)' })
  })
})
