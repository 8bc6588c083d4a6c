import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { signToken } from '../../api/kit/jwt.ts'
import { parseConfig, type EventPublisher } from '../../core/index.ts'
import { notifications } from '../../schemas/db/comm.ts'
import type { catalogue } from '../../schemas/events/index.ts'
import { waitFor } from '../../test/broker.ts'
import { bearer, startService, TEST_JWT_SECRET, tokenFor, type Service } from '../../test/service.ts'
import { openSse } from '../../test/sse.ts'
import { CommSettings } from '../../workers/comm/settings.ts'
import { commWorker } from '../../workers/comm/worker.ts'
import { commApi } from './app.ts'

let s: Service
let publisher: EventPublisher<typeof catalogue>
let eval_: EventPublisher<typeof catalogue>

beforeAll(async () => {
  s = await startService({ label: 'comm_live', api: commApi, worker: commWorker(parseConfig(CommSettings, {})), env: { STREAM_HEARTBEAT_MS: '200' } })
  publisher = s.publisher('profile')
  eval_ = s.publisher('eval')
})

afterAll(async () => {
  await s.close()
})

const streamUrl = (query = '') => s.url(`/comm/api/notifications/stream${query}`)

/** A student comm knows (student.created applied, welcome created), with a token of theirs. */
async function student() {
  const userId = crypto.randomUUID()
  const studentId = crypto.randomUUID()
  await publisher.publish('student.created', { student_id: studentId, user_id: userId, email: `s-${studentId.slice(0, 8)}@example.org` })
  await waitFor(async () => (await s.database.db.select().from(notifications).where(eq(notifications.userId, userId))).length === 1, 10_000, 'the welcome notification')
  return { userId, studentId, token: await tokenFor('student', userId) }
}

/** A grade for the student on a new stage: one `grade` notification, resolved once it is in the table. */
async function graded(who: { userId: string; studentId: string }, grade = 15) {
  const stageId = crypto.randomUUID()
  await eval_.publish('grade.assigned', { student_id: who.studentId, stage_id: stageId, final_grade: grade })
  await waitFor(async () => (await s.database.db.select().from(notifications).where(and(eq(notifications.userId, who.userId), eq(notifications.relatedId, stageId)))).length === 1, 10_000, 'the grade notification')
  return stageId
}

describe('GET /comm/api/notifications/stream', () => {
  test('sends only new notifications, as the list shows them', async () => {
    const who = await student()
    const stream = await openSse(streamUrl(), bearer(who.token))
    expect(stream.status).toBe(200)
    expect(stream.headers.get('content-type')).toStartWith('text/event-stream')
    await stream.until((r) => r.lastId() !== undefined)
    const stageId = await graded(who, 12.5)
    await stream.until((r) => r.notifications().length === 1)
    const [live] = stream.notifications()
    const list = await (await fetch(s.url('/comm/api/notifications'), { headers: bearer(who.token) })).json()
    expect(live).toEqual(list.items.find((n: { related_id: string }) => n.related_id === stageId))
    expect(live.title).toBe('Your final grade: 12.5/20')
    stream.cut()
  })

  test('resumes after Last-Event-ID with what was missed, in order, once', async () => {
    const who = await student()
    const first = await openSse(streamUrl(), bearer(who.token))
    await first.until((r) => r.lastId() !== undefined)
    const before = await graded(who)
    await first.until((r) => r.notifications().length === 1)
    const position = first.lastId()!
    first.cut()
    await first.ended
    const missed = [await graded(who, 10), await graded(who, 11), await graded(who, 12)]
    const again = await openSse(streamUrl(), { ...bearer(who.token), 'last-event-id': position })
    await again.until((r) => r.notifications().length >= 3)
    const after = await graded(who, 13)
    await again.until((r) => r.notifications().length >= 4)
    await Bun.sleep(300)
    expect(again.notifications().map((n) => n.related_id)).toEqual([...missed, after])
    expect(again.notifications().map((n) => n.related_id)).not.toContain(before)
    again.cut()
  })

  test('beats on an idle stream', async () => {
    const who = await student()
    const stream = await openSse(streamUrl(), bearer(who.token))
    await stream.until((r) => r.events.filter((e) => e.comment !== undefined).length >= 3, 5_000)
    stream.cut()
  })

  test('takes the token as ?access_token=', async () => {
    const who = await student()
    const stream = await openSse(streamUrl(`?access_token=${who.token}`))
    expect(stream.status).toBe(200)
    await stream.until((r) => r.lastId() !== undefined)
    await graded(who)
    await stream.until((r) => r.notifications().length === 1)
    stream.cut()
  })

  test('refuses a bad or expired token with a JSON 401, not a stream', async () => {
    const expired = await signToken(TEST_JWT_SECRET, { sub: crypto.randomUUID(), role: 'student' }, -60)
    for (const [query, headers] of [
      ['', {}],
      ['', bearer('not-a-token')],
      ['', bearer(expired)],
      [`?access_token=${expired}`, {}],
      ['?access_token=not-a-token', {}],
    ] as const) {
      const res = await fetch(streamUrl(query), { headers: { accept: 'text/event-stream', ...headers } })
      expect(res.status).toBe(401)
      expect(res.headers.get('content-type')).toContain('application/json')
      expect((await res.json()).error).toBe('UNAUTHENTICATED')
    }
  })

  test('refuses a Last-Event-ID it did not write with a JSON 400 naming the header', async () => {
    const res = await fetch(streamUrl(), { headers: { ...bearer(await tokenFor('student')), 'last-event-id': 'yesterday' } })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'INVALID_LAST_EVENT_ID', problems: [{ path: '/headers/last-event-id' }] })
  })
})
