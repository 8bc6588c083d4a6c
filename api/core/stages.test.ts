import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { coreEncadrants, studentDirectory } from '../../schemas/db/core.ts'
import { parseConfig, silentLogger, type Envelope, type EventPublisher } from '../../core/index.ts'
import type { catalogue } from '../../schemas/events/index.ts'
import { STAGE_STATUSES, STAGE_TRANSITIONS, type StageAction, type StageStatus } from '../../schemas/domain/stages.ts'
import { waitFor, type EventTap } from '../../test/broker.ts'
import { jsonClient, startService, tokenFor, type Answer, type Service } from '../../test/service.ts'
import { WorkerConfig } from '../../workers/kit/config.ts'
import { startWorker, type RunningWorker } from '../../workers/kit/run.ts'
import { coreWorker } from '../../workers/core/worker.ts'
import { coreApi } from './app.ts'

let s: Service
let profile: EventPublisher<typeof catalogue>
let evalPublisher: EventPublisher<typeof catalogue>
let tap: EventTap
let secondWorker: RunningWorker

/** A caller of core's API with a token for the role; `sub` is their user id. The URL is read once the service runs. */
function as(role: 'admin' | 'encadrant' | 'student', sub: string = crypto.randomUUID()) {
  const client = () => jsonClient(s.url('/core/api'), tokenFor(role, sub))
  return { sub, get: (p: string) => client().get(p), post: (p: string, b?: unknown) => client().post(p, b), patch: (p: string, b: unknown) => client().patch(p, b) }
}

const admin = as('admin')
const events = (type: string, match: (p: any) => boolean = () => true): Envelope[] => tap.envelopes().filter((e) => e.event_type === type && match(e.payload))
const today = () => new Date().toISOString().slice(0, 10)
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)

/** An establishment, core told of it as profile would. */
async function establishment() {
  const id = crypto.randomUUID()
  const sent = await profile.publish('establishment.created', { establishment_id: id, name: `Hôpital ${id.slice(0, 4)}`, city: 'Rabat' })
  await waitFor(async () => (await admin.post('/offers', { establishment_id: id, title: 'probe', start_date: inDays(500), end_date: inDays(501), capacity: 1 })).status === 201, 10_000, 'the establishment known')
  return { id, sent }
}

/** An encadrant of the establishment, with their account. */
async function encadrant(establishmentId: string | null) {
  const id = crypto.randomUUID()
  const user = crypto.randomUUID()
  await profile.publish('encadrant.created', { encadrant_id: id, user_id: user, email: `enc-${id.slice(0, 8)}@example.org`, establishment_id: establishmentId })
  await waitFor(async () => (await s.database.db.select().from(coreEncadrants).where(eq(coreEncadrants.encadrantId, id))).length === 1, 10_000, 'the encadrant known')
  return { id, user, client: as('encadrant', user) }
}

async function student() {
  const id = crypto.randomUUID()
  const user = crypto.randomUUID()
  await profile.publish('student.created', { student_id: id, user_id: user, email: `stu-${id.slice(0, 8)}@example.org` })
  await waitFor(async () => (await s.database.db.select().from(studentDirectory).where(eq(studentDirectory.studentId, id))).length === 1, 10_000, 'the student known')
  return { id, user, client: as('student', user) }
}

async function offer(establishmentId: string, capacity = 2, dates = { start_date: inDays(30), end_date: inDays(90) }) {
  const res = await admin.post('/offers', { establishment_id: establishmentId, title: 'Cardiologie', speciality: 'cardiology', capacity, ...dates })
  expect(res.status).toBe(201)
  return res.body
}

beforeAll(async () => {
  s = await startService({ label: 'core_stages', api: coreApi, worker: coreWorker({ STAGE_SWEEP_MS: 200 }), env: { RELAY_INTERVAL_MS: '200' } })
  profile = s.publisher('profile')
  evalPublisher = s.publisher('eval')
  tap = await s.tap('#')
  const config = parseConfig(WorkerConfig, { DATABASE_URL: s.database.url, MEDTRACK_NAMESPACE: s.namespace, LOG_LEVEL: 'error', PORT: '0' })
  secondWorker = await startWorker(coreWorker({ STAGE_SWEEP_MS: 200 }), config, silentLogger)
}, 30_000)
afterAll(async () => {
  await secondWorker.close()
  await s.close()
})

describe('offers', () => {
  test('an admin posts an offer for a known establishment: 201 with its places, offer.created with capacity and dates; listed and filtered, paged', async () => {
    const place = await establishment()
    const created = await admin.post('/offers', { establishment_id: place.id, title: 'Pédiatrie', speciality: 'pediatrics', start_date: '2027-01-04', end_date: '2027-03-26', capacity: 3 })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ establishment_id: place.id, title: 'Pédiatrie', status: 'open', capacity: 3, places_taken: 0, places_left: 3, start_date: '2027-01-04', end_date: '2027-03-26' })
    await waitFor(() => events('offer.created', (p) => p.offer_id === created.body.id).length === 1, 5_000, 'offer.created')
    expect(events('offer.created', (p) => p.offer_id === created.body.id)[0]!.payload).toEqual({ offer_id: created.body.id, title: 'Pédiatrie', establishment_id: place.id, capacity: 3, start_date: '2027-01-04', end_date: '2027-03-26' })

    const listed = await as('student').get(`/offers?establishment_id=${place.id}&speciality=pediatrics&per_page=1`)
    expect(listed).toMatchObject({ status: 200, body: { page: 1, per_page: 1, total: 1, items: [{ id: created.body.id }] } })
    expect((await as('encadrant').get(`/offers/${created.body.id}`)).body).toMatchObject({ id: created.body.id, places_left: 3 })
    expect((await admin.get(`/offers/${crypto.randomUUID()}`)).status).toBe(404)
  })

  test('an encadrant posts offers for their own establishment only; a student may not', async () => {
    const [mine, other] = [await establishment(), await establishment()]
    const me = await encadrant(mine.id)
    const body = { title: 'Urgences', start_date: inDays(10), end_date: inDays(40), capacity: 1 }
    expect((await me.client.post('/offers', { ...body, establishment_id: mine.id })).status).toBe(201)
    expect(await me.client.post('/offers', { ...body, establishment_id: other.id })).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } })
    expect((await as('student').post('/offers', { ...body, establishment_id: mine.id })).status).toBe(403)
  })

  test('bad offers: unknown establishment, capacity 0, an end before the start, wrong types: 422 naming the field', async () => {
    const place = await establishment()
    const good = { establishment_id: place.id, title: 'Chirurgie', start_date: inDays(10), end_date: inDays(40), capacity: 2 }
    const problem = async (body: unknown) => {
      const res = await admin.post('/offers', body)
      expect(res.status).toBe(422)
      return res.body.problems.map((p: { path: string }) => p.path)
    }
    expect(await problem({ ...good, establishment_id: crypto.randomUUID() })).toEqual(['/establishment_id'])
    expect(await problem({ ...good, capacity: 0 })).toEqual(['/capacity'])
    expect(await problem({ ...good, capacity: 'two' })).toEqual(['/capacity'])
    expect(await problem({ ...good, end_date: inDays(5) })).toEqual(['/end_date'])
    expect(await problem({ ...good, start_date: '2027-02-30' })).toEqual(['/start_date'])
  })

  test('closing an offer stops new stages (409 OFFER_CLOSED) and its stages go on; capacity cannot drop below the places taken (409)', async () => {
    const place = await establishment()
    const o = await offer(place.id, 2)
    const a = await student()
    expect((await admin.post('/stages', { student_id: a.id, offer_id: o.id })).status).toBe(201)
    expect(await admin.patch(`/offers/${o.id}`, { capacity: 0 })).toMatchObject({ status: 422 })
    const shrink = await admin.patch(`/offers/${o.id}`, { capacity: 1 })
    expect(shrink).toMatchObject({ status: 200, body: { capacity: 1, places_taken: 1, places_left: 0 } })
    await admin.patch(`/offers/${o.id}`, { capacity: 2 })
    const closed = await admin.patch(`/offers/${o.id}`, { status: 'closed' })
    expect(closed).toMatchObject({ status: 200, body: { status: 'closed' } })
    await waitFor(() => events('offer.updated', (p) => p.offer_id === o.id && p.status === 'closed').length === 1, 5_000, 'offer.updated')
    expect(events('offer.updated', (p) => p.offer_id === o.id && p.status === 'closed')[0]!.payload.updated_fields).toEqual(['status'])
    const b = await student()
    expect(await admin.post('/stages', { student_id: b.id, offer_id: o.id })).toMatchObject({ status: 409, body: { error: 'OFFER_CLOSED' } })
    const two = await student()
    await admin.patch(`/offers/${o.id}`, { status: 'open' })
    expect((await admin.post('/stages', { student_id: two.id, offer_id: o.id })).status).toBe(201)
    expect(await admin.patch(`/offers/${o.id}`, { capacity: 1 })).toMatchObject({ status: 409, body: { error: 'CAPACITY_BELOW_TAKEN', problems: [{ path: '/capacity' }] } })
  })
})

describe('stages', () => {
  test('the whole life of a stage: created → accepted by an encadrant of the establishment → started → completed, each event with its extras, the history with who did it', async () => {
    const place = await establishment()
    const sup = await encadrant(place.id)
    const o = await offer(place.id, 2)
    const stu = await student()
    const created = await admin.post('/stages', { student_id: stu.id, offer_id: o.id })
    expect(created).toMatchObject({ status: 201, body: { status: 'created', student_id: stu.id, offer_id: o.id, offer_title: 'Cardiologie', establishment: { id: place.id }, encadrant_id: null, start_date: o.start_date, end_date: o.end_date } })
    const id = created.body.id
    // Waiting for acceptance: the establishment's encadrants see it, the student sees their own.
    expect((await sup.client.get('/stages?status=created')).body.items.map((x: { id: string }) => x.id)).toContain(id)
    expect((await stu.client.get(`/stages/${id}`)).status).toBe(200)

    expect(await sup.client.post(`/stages/${id}/accept`)).toMatchObject({ status: 200, body: { status: 'accepted', encadrant_id: sup.id } })
    expect(await sup.client.post(`/stages/${id}/start`)).toMatchObject({ status: 200, body: { status: 'started', actual_start_date: today() } })
    const done = await sup.client.post(`/stages/${id}/complete`)
    expect(done).toMatchObject({ status: 200, body: { status: 'completed', completion_date: today() } })
    expect(done.body.history.map((h: { status: string; by: { user_id: string } }) => [h.status, h.by.user_id])).toEqual([
      ['created', admin.sub],
      ['accepted', sup.user],
      ['started', sup.user],
      ['completed', sup.user],
    ])
    const extras = { stage_id: id, student_id: stu.id, offer_id: o.id, establishment_id: place.id }
    await waitFor(() => events('stage.completed', (p) => p.stage_id === id).length === 1, 5_000, 'stage.completed')
    expect(events('stage.created', (p) => p.stage_id === id)[0]!.payload).toEqual({ ...extras, start_date: o.start_date, end_date: o.end_date })
    expect(events('stage.accepted', (p) => p.stage_id === id)[0]!.payload).toEqual({ ...extras, encadrant_id: sup.id })
    expect(events('stage.started', (p) => p.stage_id === id)[0]!.payload).toEqual({ ...extras, encadrant_id: sup.id, actual_start_date: today() })
    expect(events('stage.completed', (p) => p.stage_id === id)[0]!.payload).toEqual({ ...extras, encadrant_id: sup.id, completion_date: today() })

    // The tracking shows it, with its grade once eval assigns one.
    await evalPublisher.publish('grade.assigned', { student_id: stu.id, stage_id: id, final_grade: 15.25 })
    let tracking: Answer | undefined
    await waitFor(async () => (tracking = await stu.client.get(`/tracking/${stu.id}`)).body?.stages?.completed?.[0]?.final_grade === 15.25, 10_000, 'the grade in the tracking')
    expect(tracking!.body).toMatchObject({ student_id: stu.id, status: 'completed', stages_completed: 1, current: null, stages: { created: [], completed: [{ id, final_grade: 15.25 }] } })
    expect((await sup.client.get(`/tracking/${stu.id}`)).status).toBe(200)
    expect((await as('encadrant').get(`/tracking/${stu.id}`)).status).toBe(403)
  })

  test('assigning: a full offer is 409 OFFER_FULL, overlapping dates 409 STAGE_OVERLAP, unknown ids 422 naming them, bad dates 422; only an admin assigns', async () => {
    const place = await establishment()
    const o = await offer(place.id, 1)
    const [a, b] = [await student(), await student()]
    expect((await admin.post('/stages', { student_id: a.id, offer_id: o.id })).status).toBe(201)
    expect(await admin.post('/stages', { student_id: b.id, offer_id: o.id })).toMatchObject({ status: 409, body: { error: 'OFFER_FULL' } })
    const other = await offer(place.id, 5)
    expect(await admin.post('/stages', { student_id: a.id, offer_id: other.id })).toMatchObject({ status: 409, body: { error: 'STAGE_OVERLAP', problems: [{ path: '/student_id' }] } })
    expect((await admin.post('/stages', { student_id: a.id, offer_id: other.id, start_date: inDays(200), end_date: inDays(220) })).status).toBe(201)
    expect(await admin.post('/stages', { student_id: crypto.randomUUID(), offer_id: other.id })).toMatchObject({ status: 422, body: { problems: [{ path: '/student_id' }] } })
    expect(await admin.post('/stages', { student_id: b.id, offer_id: crypto.randomUUID() })).toMatchObject({ status: 422, body: { problems: [{ path: '/offer_id' }] } })
    expect(await admin.post('/stages', { student_id: b.id, offer_id: other.id, start_date: inDays(60), end_date: inDays(50) })).toMatchObject({ status: 422, body: { problems: [{ path: '/end_date' }] } })
    expect(await admin.post('/stages', { student_id: 'nope', offer_id: other.id })).toMatchObject({ status: 422, body: { problems: [{ path: '/student_id' }] } })
    expect((await b.client.post('/stages', { student_id: b.id, offer_id: other.id })).status).toBe(403)
  })

  test('every move refused from every status it cannot be made from (409 naming the status) and by every caller it is not for (403); a stage of another student or establishment is a 404', async () => {
    const place = await establishment()
    const sup = await encadrant(place.id)
    const colleague = await encadrant(place.id)
    const elsewhere = await encadrant((await establishment()).id)
    const o = await offer(place.id, 20)
    /** A stage brought to `status` (each one a student of its own). */
    async function stageIn(status: StageStatus) {
      const stu = await student()
      const id = (await admin.post('/stages', { student_id: stu.id, offer_id: o.id })).body.id as string
      const path: Record<StageStatus, StageAction[]> = { created: [], accepted: ['accept'], started: ['accept', 'start'], completed: ['accept', 'start', 'complete'], cancelled: ['cancel'] }
      for (const action of path[status]) expect((await sup.client.post(`/stages/${id}/${action}`, action === 'cancel' ? { reason: 'test' } : undefined)).status).toBe(200)
      return { id, stu }
    }
    const body = (action: StageAction) => (action === 'cancel' ? { reason: 'no longer possible' } : undefined)
    for (const status of STAGE_STATUSES) {
      for (const action of Object.keys(STAGE_TRANSITIONS) as StageAction[]) {
        const allowed = STAGE_TRANSITIONS[action].by.admin?.includes(status)
        if (allowed || action === 'accept') continue
        const { id } = await stageIn(status)
        const refused = await admin.post(`/stages/${id}/${action}`, body(action))
        expect({ status, action, answer: refused.status, error: refused.body.error, message: refused.body.message.includes(status) }).toEqual({ status, action, answer: 409, error: 'INVALID_TRANSITION', message: true })
      }
    }
    const waiting = await stageIn('created')
    expect(await admin.post(`/stages/${waiting.id}/accept`)).toMatchObject({ status: 422, body: { problems: [{ path: '/encadrant_id' }] } })
    expect(await admin.post(`/stages/${waiting.id}/accept`, { encadrant_id: elsewhere.id })).toMatchObject({ status: 422, body: { problems: [{ path: '/encadrant_id' }] } })
    expect((await waiting.stu.client.post(`/stages/${waiting.id}/accept`)).status).toBe(403)
    expect((await elsewhere.client.post(`/stages/${waiting.id}/accept`)).status).toBe(404)
    expect((await (await student()).client.get(`/stages/${waiting.id}`)).status).toBe(404)
    expect((await elsewhere.client.get(`/stages/${waiting.id}`)).status).toBe(404)
    expect(await admin.post(`/stages/${waiting.id}/accept`, { encadrant_id: colleague.id })).toMatchObject({ status: 200, body: { encadrant_id: colleague.id } })
    // Accepted by the colleague: the supervisor of another stage may not start it, the student may no longer cancel it.
    expect((await sup.client.post(`/stages/${waiting.id}/start`)).status).toBe(403)
    expect(await waiting.stu.client.post(`/stages/${waiting.id}/cancel`, { reason: 'changed my mind' })).toMatchObject({ status: 409, body: { error: 'INVALID_TRANSITION' } })
    expect(await colleague.client.post(`/stages/${waiting.id}/cancel`, {})).toMatchObject({ status: 422, body: { problems: [{ path: '/reason' }] } })
    const started = await stageIn('started')
    expect(await sup.client.post(`/stages/${started.id}/cancel`, { reason: 'too late' })).toMatchObject({ status: 409, body: { error: 'INVALID_TRANSITION' } })
    expect((await admin.post(`/stages/${started.id}/cancel`, { reason: 'the hospital closed the ward' })).status).toBe(200)
    expect((await admin.post(`/stages/${crypto.randomUUID()}/start`)).status).toBe(404)
  }, 60_000)

  test('a student cancels their own stage before it is accepted; the place is free again; stage.cancelled carries the reason', async () => {
    const place = await establishment()
    const o = await offer(place.id, 1)
    const [a, b] = [await student(), await student()]
    const id = (await admin.post('/stages', { student_id: a.id, offer_id: o.id })).body.id
    expect((await admin.get(`/offers/${o.id}`)).body.places_left).toBe(0)
    expect(await a.client.post(`/stages/${id}/cancel`, { reason: 'I found another internship' })).toMatchObject({ status: 200, body: { status: 'cancelled', cancel_reason: 'I found another internship' } })
    expect((await admin.get(`/offers/${o.id}`)).body.places_left).toBe(1)
    await waitFor(() => events('stage.cancelled', (p) => p.stage_id === id).length === 1, 5_000, 'stage.cancelled')
    expect(events('stage.cancelled', (p) => p.stage_id === id)[0]!.payload).toMatchObject({ stage_id: id, reason: 'I found another internship', status_before: 'created', student_id: a.id })
    expect((await admin.post('/stages', { student_id: b.id, offer_id: o.id })).status).toBe(201)
  })

  test('30 concurrent assignments to an offer of 5 places, two core workers running: 5 stages and 25 OFFER_FULL', async () => {
    const place = await establishment()
    const o = await offer(place.id, 5)
    const students = await Promise.all(Array.from({ length: 30 }, () => student()))
    const answers = await Promise.all(students.map((stu) => as('admin').post('/stages', { student_id: stu.id, offer_id: o.id })))
    const statuses = answers.map((a) => (a.status === 409 ? a.body.error : a.status))
    expect(statuses.filter((x) => x === 201)).toHaveLength(5)
    expect(statuses.filter((x) => x === 'OFFER_FULL')).toHaveLength(25)
    expect((await admin.get(`/stages?offer_id=${o.id}`)).body.total).toBe(5)
    expect((await admin.get(`/offers/${o.id}`)).body).toMatchObject({ places_taken: 5, places_left: 0 })
  }, 60_000)

  test('an accepted stage whose start date is today is started by core itself, once, with two core workers sweeping', async () => {
    const place = await establishment()
    const sup = await encadrant(place.id)
    const o = await offer(place.id, 3, { start_date: today(), end_date: inDays(60) })
    const stu = await student()
    const id = (await admin.post('/stages', { student_id: stu.id, offer_id: o.id })).body.id
    const later = (await admin.post('/stages', { student_id: (await student()).id, offer_id: o.id, start_date: inDays(3), end_date: inDays(60) })).body.id
    await sup.client.post(`/stages/${id}/accept`)
    await sup.client.post(`/stages/${later}/accept`)
    await waitFor(async () => (await admin.get(`/stages/${id}`)).body.status === 'started', 10_000, 'the stage started by the sweep')
    await Bun.sleep(800)
    const stage = (await admin.get(`/stages/${id}`)).body
    expect(stage.history.map((h: { status: string; by: { role: string } }) => [h.status, h.by.role])).toEqual([
      ['created', 'admin'],
      ['accepted', 'encadrant'],
      ['started', 'core'],
    ])
    expect(events('stage.started', (p) => p.stage_id === id)).toHaveLength(1)
    expect((await admin.get(`/stages/${later}`)).body.status).toBe('accepted')
  })
})

test('/core/api/docs/json documents every offer, stage and tracking route with its body, query and params', async () => {
  const doc = await (await fetch(s.url('/core/api/docs/json'))).json()
  const paths = doc.paths
  expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/core/api/offers', '/core/api/offers/{id}', '/core/api/stages', '/core/api/stages/{id}', '/core/api/stages/{id}/accept', '/core/api/stages/{id}/start', '/core/api/stages/{id}/complete', '/core/api/stages/{id}/cancel', '/core/api/tracking/{student_id}']))
  const offer = paths['/core/api/offers'].post.requestBody.content['application/json'].schema
  expect(offer.required).toEqual(['establishment_id', 'title', 'start_date', 'end_date', 'capacity'])
  expect(offer.properties.capacity).toMatchObject({ type: 'integer', minimum: 1 })
  expect(paths['/core/api/stages/{id}/cancel'].post.requestBody.content['application/json'].schema.required).toEqual(['reason'])
  expect(paths['/core/api/stages'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['page', 'per_page', 'status', 'offer_id', 'student_id', 'encadrant_id'])
  for (const [path, methods] of Object.entries(paths as Record<string, Record<string, { summary?: string }>>)) {
    if (/\/(offers|stages|tracking)/.test(path)) for (const op of Object.values(methods)) expect({ path, summary: Boolean(op.summary) }).toEqual({ path, summary: true })
  }
})

