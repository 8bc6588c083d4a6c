import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SERVICES } from '../../core/index.ts'
import { closedPort, jsonClient, startService, tokenFor, type Service } from '../../test/service.ts'
import { opsApi } from './app.ts'
import { audit } from './test-audit.ts'

let s: Service
let admin: ReturnType<typeof jsonClient>
const stage = crypto.randomUUID()
const student = crypto.randomUUID()
const correlation = crypto.randomUUID()
let rows: Awaited<ReturnType<typeof audit>>

const at = (iso: string) => new Date(iso)

beforeAll(async () => {
  const away = `http://127.0.0.1:${await closedPort()}`
  s = await startService({ label: 'ops_events', api: opsApi, apiEnv: Object.fromEntries(SERVICES.map((x) => [`${x.toUpperCase()}_WORKER_URL`, away])) })
  admin = jsonClient(s.url('/ops/api'), tokenFor('admin'))
  rows = await audit(s.database.db, [
    { type: 'student.created', producer: 'profile-service', payload: { student_id: student, email: 's@example.org' }, receivedAt: at('2026-11-01T08:00:00Z'), correlationId: correlation },
    { type: 'stage.created', producer: 'core-service', payload: { stage: { id: stage, student: { id: student } } }, receivedAt: at('2026-11-02T08:00:00Z'), correlationId: correlation },
    { type: 'stage.accepted', producer: 'core-service', payload: { stage_id: stage }, receivedAt: at('2026-11-03T08:00:00Z') },
    { type: 'grade.assigned', producer: 'eval-service', payload: { stage_id: stage, grade: 15.5 }, receivedAt: at('2026-11-04T08:00:00Z'), headers: { messageId: 'x', 'x-medtrack-attempts': 1 } },
    { type: 'partner.notified', producer: 'external:hospital', payload: { reference: 'H-1' }, receivedAt: at('2026-11-05T08:00:00Z') },
  ])
}, 30_000)

afterAll(async () => {
  await s.close()
}, 30_000)

const ids = (body: { items: { event_id: string }[] }) => body.items.map((e) => e.event_id)
const newestFirst = () => rows.map((r) => r.eventId).reverse()

describe('GET /ops/api/events', () => {
  test('every audited event, newest first, each as it arrived: its envelope fields, its payload and its headers', async () => {
    const res = await admin.get('/events')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ page: 1, per_page: 20, total: 5 })
    expect(ids(res.body)).toEqual(newestFirst())
    const grade = rows[3]!
    expect(res.body.items[1]).toEqual({
      event_id: grade.eventId,
      type: 'grade.assigned',
      producer: 'eval-service',
      correlation_id: null,
      causation_id: null,
      occurred_at: grade.occurredAt.toISOString(),
      received_at: '2026-11-04T08:00:00.000Z',
      routing_key: 'grade.assigned',
      payload: { stage_id: stage, grade: 15.5 },
      headers: { messageId: 'x', 'x-medtrack-attempts': 1 },
    })
  })

  test('paged: per_page and page cut the same order', async () => {
    const second = await admin.get('/events?per_page=2&page=2')
    expect(second.body).toMatchObject({ page: 2, per_page: 2, total: 5 })
    expect(ids(second.body)).toEqual(newestFirst().slice(2, 4))
    expect(ids((await admin.get('/events?per_page=2&page=4')).body)).toEqual([])
  })

  test('by type, by producer, by correlation id: only those', async () => {
    expect(ids((await admin.get('/events?type=stage.accepted')).body)).toEqual([rows[2]!.eventId])
    expect(ids((await admin.get('/events?producer=core-service')).body)).toEqual([rows[2]!.eventId, rows[1]!.eventId])
    expect(ids((await admin.get('/events?producer=external:hospital')).body)).toEqual([rows[4]!.eventId])
    expect(ids((await admin.get(`/events?correlation_id=${correlation}`)).body)).toEqual([rows[1]!.eventId, rows[0]!.eventId])
    expect((await admin.get('/events?type=nothing.happened')).body).toEqual({ items: [], page: 1, per_page: 20, total: 0 })
  })

  test('by entity id: every event whose payload holds it, also deep inside (a stage’s student), with the other filters', async () => {
    const byStage = await admin.get(`/events?entity_id=${stage}`)
    expect(ids(byStage.body)).toEqual([rows[3]!.eventId, rows[2]!.eventId, rows[1]!.eventId])
    expect(byStage.body.total).toBe(3)
    expect(ids((await admin.get(`/events?entity_id=${student}`)).body)).toEqual([rows[1]!.eventId, rows[0]!.eventId])
    // Kept in lower case, found in any case.
    expect(ids((await admin.get(`/events?entity_id=${student.toUpperCase()}`)).body)).toEqual([rows[1]!.eventId, rows[0]!.eventId])
    expect(ids((await admin.get(`/events?entity_id=${stage}&producer=core-service&type=stage.created`)).body)).toEqual([rows[1]!.eventId])
    expect((await admin.get(`/events?entity_id=${crypto.randomUUID()}`)).body.total).toBe(0)
  })

  test('by time received: since and until are inclusive, as a moment with its offset or as a day', async () => {
    expect(ids((await admin.get('/events?since=2026-11-02T08:00:00Z&until=2026-11-04T08:00:00Z')).body)).toEqual([rows[3]!.eventId, rows[2]!.eventId, rows[1]!.eventId])
    expect(ids((await admin.get(`/events?since=${encodeURIComponent('2026-11-04T09:00:00+01:00')}`)).body)).toEqual([rows[4]!.eventId, rows[3]!.eventId])
    expect(ids((await admin.get('/events?until=2026-11-02')).body)).toEqual([rows[0]!.eventId])
  })

  test('a malformed moment is a 422 naming /query/since; since after until a 422 naming /query/until; a bad page /query/page', async () => {
    const bad = await admin.get('/events?since=yesterday')
    expect(bad.status).toBe(422)
    expect(bad.body.problems).toEqual([{ path: '/query/since', message: expect.stringContaining('date-time') }])
    expect((await admin.get('/events?until=2026-13-45T00:00:00Z')).body.problems[0].path).toBe('/query/until')
    const reversed = await admin.get('/events?since=2026-11-04T00:00:00Z&until=2026-11-01T00:00:00Z')
    expect(reversed.status).toBe(422)
    expect(reversed.body).toEqual({ error: 'VALIDATION_FAILED', message: 'invalid query', problems: [{ path: '/query/until', message: 'must not be before since' }] })
    const page = await admin.get('/events?page=0')
    expect(page.status).toBe(422)
    expect(page.body.problems[0].path).toBe('/query/page')
  })
})

describe('GET /ops/api/events/:id', () => {
  test('one event by its id; an unknown id is a 404', async () => {
    const one = await admin.get(`/events/${rows[2]!.eventId}`)
    expect(one.status).toBe(200)
    expect(one.body).toMatchObject({ event_id: rows[2]!.eventId, type: 'stage.accepted', payload: { stage_id: stage } })
    const unknown = await admin.get(`/events/${crypto.randomUUID()}`)
    expect(unknown.status).toBe(404)
    expect(unknown.body).toEqual({ error: 'NOT_FOUND', message: 'event not found' })
  })
})

describe('who may read the audit trail', () => {
  test('admins only: 401 without a token, 403 for a student or an encadrant, on every route', async () => {
    const paths = ['/events', `/events/${rows[0]!.eventId}`, `/lineage/${correlation}`, '/queues', '/dead-letters?service=comm']
    for (const path of paths) {
      const anonymous = await jsonClient(s.url('/ops/api')).get(path)
      expect(anonymous.status).toBe(401)
      expect(anonymous.body.error).toBe('UNAUTHENTICATED')
      for (const role of ['student', 'encadrant'] as const) {
        const refused = await jsonClient(s.url('/ops/api'), tokenFor(role)).get(path)
        expect(refused.status).toBe(403)
        expect(refused.body).toEqual({ error: 'FORBIDDEN', message: 'this needs the role admin' })
      }
    }
    for (const path of ['/dead-letters/replay', '/dead-letters/purge']) {
      expect((await jsonClient(s.url('/ops/api')).post(path, { service: 'comm', all: true })).status).toBe(401)
      expect((await jsonClient(s.url('/ops/api'), tokenFor('student')).post(path, { service: 'comm', all: true })).status).toBe(403)
    }
  })

  test('the OpenAPI document names every route', async () => {
    const doc = await fetch(s.url('/ops/api/docs/json'))
    expect(doc.status).toBe(200)
    const paths = Object.keys((await doc.json()).paths)
    expect(paths).toEqual(expect.arrayContaining(['/ops/api/events', '/ops/api/events/{id}', '/ops/api/lineage/{id}', '/ops/api/queues', '/ops/api/dead-letters', '/ops/api/dead-letters/replay', '/ops/api/dead-letters/purge']))
  })
})
