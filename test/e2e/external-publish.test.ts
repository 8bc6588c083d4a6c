import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { count, eq, sql } from 'drizzle-orm'
import type { AsyncMessage } from 'rabbitmq-client'
import { users } from '../../schemas/db/auth.ts'
import { notifications } from '../../schemas/db/comm.ts'
import { stageTracking } from '../../schemas/db/core.ts'
import { students } from '../../schemas/db/profile.ts'
import { connect, tapEvents, waitFor, type EventTap } from '../broker.ts'
import { client, startPlatform, type Platform } from './platform.ts'

let platform: Platform
let api: ReturnType<typeof client>
let key: string
const broker = connect('e2e-external')
let seen: AsyncMessage[]
let tap: EventTap


beforeAll(async () => {
  platform = await startPlatform('e2e-ext')
  api = client(platform.gateway)
  key = await platform.createKey('registrar', 'student.*')
  tap = await tapEvents(broker, platform.namespace, 'student.*')
  seen = tap.messages
}, 60_000)
afterAll(async () => {
  await tap.close()
  await broker.close()
  await platform.close()
}, 30_000)

const publish = (body: unknown, bearer = key) => api.post('/events/publish', body, bearer)

describe('an external system publishes through the gateway', () => {
  test('student.created with a key → the account, the set-password email, the profile, the welcome notification and the tracking; each once', async () => {
    const studentId = crypto.randomUUID()
    const userId = crypto.randomUUID()
    const address = `ext-${studentId.slice(0, 8)}@example.org`
    const res = await publish({ event_type: 'student.created', service_name: 'registrar-system', payload: { student_id: studentId, user_id: userId, email: address, first_name: 'Nadia', cin: 'CD998877' } })
    expect(res.status).toBe(202)
    expect(res.body.event_id).toMatch(/^[0-9a-f-]{36}$/)

    const db = platform.database.db
    await waitFor(async () => (await db.select().from(stageTracking).where(eq(stageTracking.studentId, studentId))).length === 1, 15_000, 'the tracking')
    await waitFor(async () => (await db.select().from(students).where(eq(students.id, studentId))).length === 1, 15_000, 'the profile')
    await waitFor(() => platform.smtp.to(address).length === 1, 15_000, 'the set-password email')
    await Bun.sleep(1_000)
    expect((await db.select({ n: count() }).from(users).where(eq(users.id, userId)))[0]!.n).toBe(1)
    expect((await db.select({ n: count() }).from(students).where(sql`lower(${students.email}) = lower(${address})`))[0]!.n).toBe(1)
    expect((await db.select({ n: count() }).from(notifications).where(eq(notifications.userId, userId)))[0]!.n).toBe(1)
    expect((await db.select({ n: count() }).from(stageTracking).where(eq(stageTracking.studentId, studentId)))[0]!.n).toBe(1)
    expect(platform.smtp.to(address)).toHaveLength(1)
    const first = seen.find((m) => m.messageId === res.body.event_id)!
    expect((first.body as { service: string }).service).toBe('external:registrar')
  }, 40_000)

  test('wrong key 401, a type the key may not publish 403, a bad payload 422 with paths, an unknown type 422; nothing published in those cases', async () => {
    const before = seen.length
    const good = { event_type: 'student.created', service_name: 'x', payload: { student_id: crypto.randomUUID(), user_id: crypto.randomUUID(), email: 'n@example.org' } }
    expect((await publish(good, 'mtk_not-a-key')).status).toBe(401)
    expect((await api.post('/events/publish', good)).status).toBe(401)
    const forbidden = await publish({ event_type: 'grade.assigned', service_name: 'x', payload: { student_id: crypto.randomUUID(), stage_id: crypto.randomUUID(), final_grade: 15 } })
    expect(forbidden.status).toBe(403)
    const bad = await publish({ event_type: 'student.created', service_name: 'x', payload: { student_id: 'nope', email: 'not-an-email' } })
    expect(bad.status).toBe(422)
    expect(bad.body.problems.map((p: { path: string }) => p.path).sort()).toEqual(['/payload/email', '/payload/student_id', '/payload/user_id'])
    const unknown = await publish({ event_type: 'student.teleported', service_name: 'x', payload: {} })
    expect(unknown.status).toBe(422)
    expect(unknown.body.problems[0].path).toBe('/event_type')
    const webhook = await api.post('/events/webhook', good, 'mtk_not-a-key')
    expect(webhook.status).toBe(401)
    await Bun.sleep(500)
    expect(seen.length).toBe(before)
  })
})
