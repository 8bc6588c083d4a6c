/**
 * Live notifications end to end: streams through the gateway and straight
 * from comm API replicas (real processes, at debug level), notifications made
 * by the comm worker from published events.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { signToken } from '../../api/kit/jwt.ts'
import { sharedJwtSecret } from '../../api/kit/secret.ts'
import { BrokerConnection, createPublisher, type EventPublisher } from '../../core/index.ts'
import { notifications } from '../../schemas/db/comm.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { dropConnection, RABBITMQ_URL, waitFor } from '../broker.ts'
import { spawnEntry, type Child } from '../processes.ts'
import { bearer } from '../service.ts'
import { openSse, type SseReader } from '../sse.ts'
import { startPlatform, type Platform } from './platform.ts'

let platform: Platform
let broker: BrokerConnection
let profile: EventPublisher<typeof catalogue>
let evaluations: EventPublisher<typeof catalogue>
/** A second comm API, beside the platform's. */
let replica: Child
let replicaUrl: string

beforeAll(async () => {
  platform = await startPlatform('live', {
    only: ['gateway', 'auth-api', 'auth-worker', 'comm-api', 'comm-worker'],
    env: { LOG_LEVEL: 'debug', STREAM_HEARTBEAT_MS: '300' },
  })
  broker = new BrokerConnection({ url: RABBITMQ_URL, connectionName: 'live-test' })
  profile = createPublisher({ connection: broker, catalogue, service: 'profile', namespace: platform.namespace })
  evaluations = createPublisher({ connection: broker, catalogue, service: 'eval', namespace: platform.namespace })
  replica = spawnEntry('api/comm/main.ts', { ...platform.env, PORT: '0' })
  replicaUrl = `http://127.0.0.1:${JSON.parse(await replica.waitForLine(/"api listening"/, 20_000)).port}`
}, 60_000)

afterAll(async () => {
  replica?.proc.kill('SIGTERM')
  await replica?.exited
  await profile?.close()
  await evaluations?.close()
  await broker?.close()
  await platform?.close()
})

const STREAM = '/comm/api/notifications/stream'

/** A student with an account (auth made it from student.created) and comm's welcome, and their token. */
async function student() {
  const userId = crypto.randomUUID()
  const studentId = crypto.randomUUID()
  await profile.publish('student.created', { student_id: studentId, user_id: userId, email: `live-${studentId.slice(0, 8)}@medtrack.example.org` })
  const token = await platform.token(userId, 'student')
  await waitFor(async () => (await fetch(`${platform.gateway}/auth/api/me`, { headers: bearer(token) })).status === 200, 15_000, 'the account')
  await waitFor(async () => (await platform.database.db.select().from(notifications).where(eq(notifications.userId, userId))).length === 1, 15_000, 'the welcome')
  return { userId, studentId, token }
}

/** A grade on a new stage for the student; resolves with the stage id once comm holds its notification. */
async function graded(who: { userId: string; studentId: string }, grade = 14) {
  const stageId = crypto.randomUUID()
  await evaluations.publish('grade.assigned', { student_id: who.studentId, stage_id: stageId, final_grade: grade })
  await waitFor(
    async () => (await platform.database.db.select().from(notifications).where(and(eq(notifications.userId, who.userId), eq(notifications.relatedId, stageId)))).length === 1,
    15_000,
    'the grade notification',
  )
  return stageId
}

const opened = async (url: string, headers: Record<string, string> = {}): Promise<SseReader> => {
  const stream = await openSse(url, headers)
  expect(stream.status).toBe(200)
  // Its first position: the stream has subscribed and caught up.
  await stream.until((r) => r.lastId() !== undefined)
  return stream
}
const related = (s: SseReader) => s.notifications().map((n) => n.related_id)

describe('live notifications', () => {
  test('a stream through the gateway, cut by the client, resumes with the three it missed, in order, once', async () => {
    const who = await student()
    const first = await opened(`${platform.gateway}${STREAM}`, bearer(who.token))
    const seen = await graded(who, 9)
    await first.until((r) => r.notifications().length === 1)
    expect(related(first)).toEqual([seen])
    const position = first.lastId()!
    first.cut()
    await first.ended
    const missed = [await graded(who, 10), await graded(who, 11), await graded(who, 12)]
    const again = await openSse(`${platform.gateway}${STREAM}`, { ...bearer(who.token), 'last-event-id': position })
    expect(again.status).toBe(200)
    await again.until((r) => r.notifications().length >= 3)
    const later = await graded(who, 13)
    await again.until((r) => r.notifications().length >= 4)
    await Bun.sleep(500)
    expect(related(again)).toEqual([...missed, later])
    expect(again.notifications().map((n) => n.title)).toEqual(['Your final grade: 10/20', 'Your final grade: 11/20', 'Your final grade: 12/20', 'Your final grade: 13/20'])
    again.cut()
  })

  test('with two comm API replicas, each notification reaches its own user once, and not the other', async () => {
    const [a, b] = [await student(), await student()]
    const onFirst = await opened(`${platform.apis.comm}${STREAM}`, bearer(a.token))
    const onSecond = await opened(`${replicaUrl}${STREAM}`, bearer(b.token))
    const forA = [await graded(a, 5), await graded(a, 6)]
    const forB = [await graded(b, 7), await graded(b, 8)]
    await onFirst.until((r) => r.notifications().length >= 2)
    await onSecond.until((r) => r.notifications().length >= 2)
    await Bun.sleep(500)
    expect(related(onFirst)).toEqual(forA)
    expect(related(onSecond)).toEqual(forB)
    expect(onFirst.notifications().every((n) => n.user_id === a.userId)).toBe(true)
    expect(onSecond.notifications().every((n) => n.user_id === b.userId)).toBe(true)
    onFirst.cut()
    onSecond.cut()
  })

  test('?access_token= works, through the gateway and straight, and no log line holds the token', async () => {
    const who = await student()
    const viaGateway = await opened(`${platform.gateway}${STREAM}?access_token=${who.token}`)
    const straight = await opened(`${replicaUrl}${STREAM}?access_token=${encodeURIComponent(who.token)}`)
    const stageId = await graded(who)
    await viaGateway.until((r) => r.notifications().length === 1)
    await straight.until((r) => r.notifications().length === 1)
    expect(related(viaGateway)).toEqual([stageId])
    expect(related(straight)).toEqual([stageId])
    viaGateway.cut()
    straight.cut()
    await Bun.sleep(200)
    const lines = { gateway: platform.running.get('gateway')!.lines, 'comm-api': platform.running.get('comm-api')!.lines, replica: replica.lines }
    // Logged at debug level, so that there were lines to leak into.
    expect(lines['comm-api'].some((l) => l.includes('notification stream opened'))).toBe(true)
    expect(lines.replica.some((l) => l.includes('notification stream opened'))).toBe(true)
    const signature = who.token.split('.')[2]!
    for (const [name, printed] of Object.entries(lines)) expect({ name, leaking: printed.filter((l) => l.includes(signature)) }).toEqual({ name, leaking: [] })
  })

  test('an idle stream gets heartbeats, through the gateway', async () => {
    const who = await student()
    const stream = await opened(`${platform.gateway}${STREAM}`, bearer(who.token))
    await stream.until((r) => r.events.filter((e) => e.comment !== undefined).length >= 3, 5_000)
    expect(stream.notifications()).toEqual([])
    stream.cut()
  })

  test('a bad or expired token is a JSON 401, not a stream', async () => {
    const expired = await signToken(await sharedJwtSecret(platform.database.db), { sub: (await student()).userId, role: 'student' }, -60)
    for (const base of [platform.gateway, platform.apis.comm]) {
      for (const [query, headers] of [
        ['', bearer(expired)],
        ['', bearer('not.a.token')],
        [`?access_token=${expired}`, {}],
        ['?access_token=not.a.token', {}],
        ['', {}],
      ] as const) {
        const res = await fetch(`${base}${STREAM}${query}`, { headers: { accept: 'text/event-stream', ...headers } })
        expect({ base, query, status: res.status, type: res.headers.get('content-type') }).toEqual({ base, query, status: 401, type: expect.stringContaining('application/json') })
        expect((await res.json()).error).toBe('UNAUTHENTICATED')
      }
    }
  })

  test('a stream idle longer than the servers\' idle timeout (10 s) and the gateway\'s upstream timeout stays open on heartbeats alone', async () => {
    const quiet = spawnEntry('api/comm/main.ts', { ...platform.env, PORT: '0', STREAM_HEARTBEAT_MS: '11500' })
    const quietPort = JSON.parse(await quiet.waitForLine(/"api listening"/, 20_000)).port
    // The upstream timeout covers the start of an answer only, not a stream's life.
    const gateway = spawnEntry('api/gateway/main.ts', { ...platform.env, PORT: '0', UPSTREAM_TIMEOUT_MS: '2000', COMM_API_URL: `http://127.0.0.1:${quietPort}` })
    const gatewayPort = JSON.parse(await gateway.waitForLine(/"api listening"/, 20_000)).port
    try {
      const who = await student()
      const stream = await opened(`http://127.0.0.1:${gatewayPort}${STREAM}`, bearer(who.token))
      let ended = false
      void stream.ended.then(() => (ended = true))
      await stream.until((r) => r.events.some((e) => e.comment !== undefined), 14_000)
      expect(ended).toBe(false)
      const stageId = await graded(who)
      await stream.until((r) => r.notifications().length === 1)
      expect(related(stream)).toEqual([stageId])
      stream.cut()
    } finally {
      gateway.proc.kill('SIGTERM')
      quiet.proc.kill('SIGTERM')
      await Promise.all([gateway.exited, quiet.exited])
    }
  }, 40_000)

  test('when the API loses its broker connection its streams end, and a client resuming gets what was made meanwhile', async () => {
    const who = await student()
    const stream = await opened(`${platform.apis.comm}${STREAM}`, bearer(who.token))
    await graded(who)
    await stream.until((r) => r.notifications().length === 1)
    await dropConnection('comm-api')
    await stream.ended
    const meanwhile = await graded(who, 16)
    const again = await openSse(`${platform.apis.comm}${STREAM}`, { ...bearer(who.token), 'last-event-id': stream.lastId()! })
    await again.until((r) => r.notifications().length === 1)
    expect(related(again)).toEqual([meanwhile])
    const live = await graded(who, 17)
    await again.until((r) => r.notifications().length === 2)
    expect(related(again)).toEqual([meanwhile, live])
    again.cut()
  }, 30_000)

  test('stopping a comm API ends its streams, then the process exits', async () => {
    const who = await student()
    const stream = await opened(`${replicaUrl}${STREAM}`, bearer(who.token))
    const started = Date.now()
    replica.proc.kill('SIGTERM')
    await stream.ended
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(await replica.exited).toBe(0)
    expect(replica.lines.some((l) => l.includes('"api stopped"'))).toBe(true)
  })
})
