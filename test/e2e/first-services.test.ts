import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { count, eq } from 'drizzle-orm'
import { Names, SERVICES } from '../../core/index.ts'
import { users } from '../../schemas/db/auth.ts'
import { notifications } from '../../schemas/db/comm.ts'
import { stageTracking } from '../../schemas/db/core.ts'
import { connect, messageCount, waitFor } from '../broker.ts'
import { startPlatform, type Platform } from './platform.ts'

let platform: Platform
const broker = connect('e2e-first-services')

beforeAll(async () => {
  platform = await startPlatform('e2e-py')
}, 60_000)
afterAll(async () => {
  await broker.close()
  await platform.close()
}, 30_000)

/**
 * What the first Python services' `publish_event` writes: `json.dumps` of
 * `{event_type, payload, service, timestamp, version}`, with
 * `datetime.utcnow().isoformat()` (no offset) and Python's `None` as `null`;
 * no `event_id`, published with pika's `BasicProperties(delivery_mode=2,
 * content_type='application/json')`: no messageId, no type.
 */
function pythonBytes(studentId: string, userId: string, email: string): Buffer {
  return Buffer.from(
    `{"event_type": "student.created", "payload": {"student_id": "${studentId}", "user_id": "${userId}", "email": "${email}", "cin": null, ` +
      `"phone": "+212 6 12 34 56 78", "first_name": "Salma", "last_name": null, "created_at": "2026-12-01T21:38:36.169790"}, ` +
      `"service": "profile-service", "timestamp": "2026-12-01T21:38:36.169812", "version": "1.0"}`,
  )
}

describe('an event published by the first Python services, byte for byte', () => {
  test('student.created with a naive timestamp, no event_id and nulls → the account, its email, the welcome notification and the tracking, once each, even sent twice; no dead letter anywhere', async () => {
    const studentId = crypto.randomUUID()
    const userId = crypto.randomUUID()
    const email = `py-${studentId.slice(0, 8)}@example.org`
    const publisher = broker.createPublisher({ confirm: true })
    const bytes = pythonBytes(studentId, userId, email)
    const exchange = new Names(platform.namespace).events
    for (let i = 0; i < 2; i++) await publisher.send({ exchange, routingKey: 'student.created', durable: true, contentType: 'application/json' }, bytes)
    await publisher.close()

    const db = platform.database.db
    await waitFor(async () => (await db.select().from(stageTracking).where(eq(stageTracking.studentId, studentId))).length === 1, 15_000, 'the tracking')
    await waitFor(async () => (await db.select().from(notifications).where(eq(notifications.userId, userId))).length === 1, 15_000, 'the welcome notification')
    await waitFor(() => platform.smtp.to(email).length === 1, 15_000, 'the set-password email')
    await Bun.sleep(1_000)

    const [account] = await db.select().from(users).where(eq(users.id, userId))
    expect(account).toMatchObject({ email, role: 'student', firstName: 'Salma' })
    const [welcome] = await db.select().from(notifications).where(eq(notifications.userId, userId))
    expect(welcome).toMatchObject({ type: 'welcome', title: 'Welcome to MedTrack, Salma!' })
    expect((await db.select({ n: count() }).from(stageTracking).where(eq(stageTracking.studentId, studentId)))[0]!.n).toBe(1)
    expect(platform.smtp.to(email)).toHaveLength(1)
    const names = new Names(platform.namespace)
    const withWorker = SERVICES.filter((s) => existsSync(new URL(`../../workers/${s}/main.ts`, import.meta.url)))
    expect(withWorker.length).toBeGreaterThanOrEqual(4)
    for (const s of withWorker) expect({ queue: s, dead: await messageCount(broker, names.deadQueue(s)) }).toEqual({ queue: s, dead: 0 })
  }, 40_000)
})
