import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { parseConfig, type EventPublisher } from '../../core/index.ts'
import { commStudents, notifications } from '../../schemas/db/comm.ts'
import type { catalogue } from '../../schemas/events/index.ts'
import { waitFor, type EventTap } from '../../test/broker.ts'
import type { TestDatabase } from '../../test/database.ts'
import { startService, type Service } from '../../test/service.ts'
import type { RunningWorker } from '../kit/run.ts'
import { CommSettings } from './settings.ts'
import { commWorker } from './worker.ts'

const TIERS = [200, 400, 800, 1_600, 3_200]
let s: Service
let database: TestDatabase
let worker: RunningWorker
let publisher: EventPublisher<typeof catalogue>
/** Every `notification.created` on the bus, as the broker delivered it. */
let seen: EventTap

beforeAll(async () => {
  s = await startService({ label: 'comm_worker', worker: commWorker(parseConfig(CommSettings, {})), env: { RETRY_TIERS: TIERS.join(',') } })
  database = s.database
  worker = s.worker!
  publisher = s.publisher('profile')
  seen = await s.tap('notification.created')
})

afterAll(async () => {
  await s.close()
})

const handled = (type: string) => s.handled(type)

const newStudent = (firstName?: string) => {
  const id = crypto.randomUUID()
  return { student_id: id, user_id: crypto.randomUUID(), email: `s-${id.slice(0, 8)}@example.org`, ...(firstName ? { first_name: firstName } : {}) }
}
const welcomes = (studentId: string) => database.db.select().from(notifications).where(eq(notifications.dedupeKey, `welcome:${studentId}`))
const announced = (userId: string) => seen.envelopes().filter((e) => e.payload.user_id === userId)

describe('student.created', () => {
  test('one welcome notification for the user, its read model row, and notification.created on the bus once', async () => {
    const student = newStudent('Ada')
    await publisher.publish('student.created', student)
    await waitFor(async () => announced(student.user_id).length === 1, 10_000, 'notification.created')

    const [row] = await welcomes(student.student_id)
    expect(row).toMatchObject({ userId: student.user_id, type: 'welcome', title: 'Welcome to MedTrack, Ada!', readAt: null })
    expect(row!.body).toContain('Ada')
    expect(announced(student.user_id)[0]!).toMatchObject({
      event_type: 'notification.created',
      service: 'comm-service',
      payload: { notification_id: row!.id, user_id: student.user_id, type: 'welcome', title: row!.title },
    })
    expect(await database.db.select().from(commStudents).where(eq(commStudents.studentId, student.student_id))).toEqual([
      expect.objectContaining({ studentId: student.student_id, userId: student.user_id, email: student.email }),
    ])
  })

  test('the same event delivered twice, and the same student published again under another event id: still one notification, one event', async () => {
    const student = newStudent()
    const before = await handled('student.created')
    const first = await publisher.publish('student.created', student)
    await publisher.publishEnvelope(first)
    await publisher.publish('student.created', student)
    await waitFor(async () => (await handled('student.created')) === before + 3, 10_000, 'three deliveries handled')
    await Bun.sleep(300)

    const rows = await welcomes(student.student_id)
    expect(rows).toHaveLength(1)
    expect(rows[0]!.title).toBe('Welcome to MedTrack!')
    expect(announced(student.user_id)).toHaveLength(1)
    expect(announced(student.user_id)[0]!.payload.notification_id).toBe(rows[0]!.id)
  })
})

describe('who a student is, whatever arrives', () => {
  test('student.created arriving after student.deleted (out of order): no welcome, nothing emitted, the student stays deleted', async () => {
    const student = newStudent('Late')
    await publisher.publish('student.deleted', { student_id: student.student_id, user_id: student.user_id })
    const row = () => database.db.select().from(commStudents).where(eq(commStudents.studentId, student.student_id))
    await waitFor(async () => (await row())[0]?.deletedAt != null, 10_000, 'the tombstone')
    const before = await handled('student.created')
    await publisher.publish('student.created', student)
    await waitFor(async () => (await handled('student.created')) > before, 10_000, 'the late student.created handled')
    await Bun.sleep(300)
    expect(await welcomes(student.student_id)).toEqual([])
    expect(announced(student.user_id)).toEqual([])
  })

  test('student.created naming another account for a known student (an outside publisher taking it over): dead-lettered with the reason; the link and the welcome stay the first account\'s', async () => {
    const student = newStudent()
    await publisher.publish('student.created', student)
    await waitFor(async () => (await welcomes(student.student_id)).length === 1, 10_000, 'the student known')
    const attacker = crypto.randomUUID()
    const taken = await publisher.publish('student.created', { ...student, user_id: attacker })
    let letter: { error: string } | undefined
    await waitFor(async () => (letter = (await s.deadLetters()).find((d) => d.messageId === taken.event_id)) !== undefined, 10_000, 'the dead letter')
    expect(letter!.error).toContain('belongs to another account')
    expect((await database.db.select().from(commStudents).where(eq(commStudents.studentId, student.student_id)))[0]).toMatchObject({ userId: student.user_id })
    expect(announced(attacker)).toEqual([])
  })
})

describe('the students read model', () => {
  test('student.updated with an email changes it, without one changes nothing; student.deleted marks the row deleted (a tombstone) and keeps the notification', async () => {
    const student = newStudent()
    await publisher.publish('student.created', student)
    await waitFor(async () => (await welcomes(student.student_id)).length === 1, 10_000, 'the student known')
    const row = () => database.db.select().from(commStudents).where(eq(commStudents.studentId, student.student_id))

    const updates = await handled('student.updated')
    await publisher.publish('student.updated', { student_id: student.student_id, updated_fields: ['phone'] })
    await waitFor(async () => (await handled('student.updated')) === updates + 1, 10_000, 'the update without email')
    expect((await row())[0]!.email).toBe(student.email)

    const withEmail = { student_id: student.student_id, updated_fields: ['email'], email: 'renamed@example.org' }
    await publisher.publish('student.updated', withEmail)
    await waitFor(async () => (await row())[0]?.email === 'renamed@example.org', 10_000, 'the new email')

    await publisher.publish('student.deleted', { student_id: student.student_id, user_id: student.user_id })
    await waitFor(async () => (await row())[0]?.deletedAt != null, 10_000, 'the row marked deleted')
    expect(await welcomes(student.student_id)).toHaveLength(1)
  })

  test('an email update for a student comm has not met yet is retried, and applies once student.created arrives', async () => {
    const student = newStudent()
    const early = { student_id: student.student_id, updated_fields: ['email'], email: 'early@example.org' }
    await publisher.publish('student.updated', early)
    await waitFor(async () => /medtrack_messages_total\{queue="events",type="student.updated",outcome="retried"\} [1-9]/.test(await worker.metrics.render()), 5_000, 'the update retried')

    await publisher.publish('student.created', student)
    await waitFor(async () => (await database.db.select().from(commStudents).where(eq(commStudents.studentId, student.student_id)))[0]?.email === 'early@example.org', 10_000, 'the retried update applied')
  })
})
