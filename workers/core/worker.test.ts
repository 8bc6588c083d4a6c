import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import type { EventPublisher } from '../../core/index.ts'
import { stageTracking, studentDirectory } from '../../schemas/db/core.ts'
import type { catalogue } from '../../schemas/events/index.ts'
import { waitFor, type EventTap } from '../../test/broker.ts'
import type { TestDatabase } from '../../test/database.ts'
import { startService, type Service } from '../../test/service.ts'
import type { RunningWorker } from '../kit/run.ts'
import { coreWorker } from './worker.ts'

const TIERS = [200, 400, 800, 1_600, 3_200]
let s: Service
let database: TestDatabase
let worker: RunningWorker
let publisher: EventPublisher<typeof catalogue>
/** Every `stage.tracking_initialized` on the bus, as the broker delivered it. */
let seen: EventTap

beforeAll(async () => {
  s = await startService({ label: 'core_worker', worker: coreWorker(), env: { RETRY_TIERS: TIERS.join(',') } })
  database = s.database
  worker = s.worker!
  publisher = s.publisher('profile')
  seen = await s.tap('stage.tracking_initialized')
})

afterAll(async () => {
  await s.close()
})

const handled = (type: string) => s.handled(type)

const newStudent = () => {
  const id = crypto.randomUUID()
  return { student_id: id, user_id: crypto.randomUUID(), email: `s-${id.slice(0, 8)}@example.org` }
}
const tracking = (studentId: string) => database.db.select().from(stageTracking).where(eq(stageTracking.studentId, studentId))
const directory = (studentId: string) => database.db.select().from(studentDirectory).where(eq(studentDirectory.studentId, studentId))
const announced = (studentId: string) => seen.envelopes().filter((e) => e.payload.student_id === studentId)

describe('student.created', () => {
  test('the directory row, a not_started tracking, and stage.tracking_initialized on the bus once', async () => {
    const student = newStudent()
    await publisher.publish('student.created', student)
    await waitFor(async () => announced(student.student_id).length === 1, 10_000, 'stage.tracking_initialized')

    const [row] = await tracking(student.student_id)
    expect(row).toMatchObject({ studentId: student.student_id, status: 'not_started', stagesCompleted: 0 })
    expect(announced(student.student_id)[0]).toMatchObject({
      event_type: 'stage.tracking_initialized',
      service: 'core-service',
      payload: { student_id: student.student_id, tracking_id: row!.id },
    })
    expect(await directory(student.student_id)).toEqual([expect.objectContaining({ userId: student.user_id, email: student.email })])
  })

  test('the same event delivered twice, and the same student published again under another event id: one tracking, one event', async () => {
    const student = newStudent()
    const before = await handled('student.created')
    const first = await publisher.publish('student.created', student)
    await publisher.publishEnvelope(first)
    await publisher.publish('student.created', student)
    await waitFor(async () => (await handled('student.created')) === before + 3, 10_000, 'three deliveries handled')
    await Bun.sleep(300)

    const rows = await tracking(student.student_id)
    expect(rows).toHaveLength(1)
    expect(announced(student.student_id)).toHaveLength(1)
    expect(announced(student.student_id)[0]!.payload.tracking_id).toBe(rows[0]!.id)
  })
})

describe('the student directory', () => {
  test('student.updated with an email changes it, without one changes nothing; student.deleted marks the row deleted (a tombstone) and keeps the tracking', async () => {
    const student = newStudent()
    await publisher.publish('student.created', student)
    await waitFor(async () => (await tracking(student.student_id)).length === 1, 10_000, 'the student known')

    const updates = await handled('student.updated')
    await publisher.publish('student.updated', { student_id: student.student_id, updated_fields: ['first_name'] })
    await waitFor(async () => (await handled('student.updated')) === updates + 1, 10_000, 'the update without email')
    expect((await directory(student.student_id))[0]!.email).toBe(student.email)

    const withEmail = { student_id: student.student_id, updated_fields: ['email'], email: 'renamed@example.org' }
    await publisher.publish('student.updated', withEmail)
    await waitFor(async () => (await directory(student.student_id))[0]?.email === 'renamed@example.org', 10_000, 'the new email')

    await publisher.publish('student.deleted', { student_id: student.student_id, user_id: student.user_id })
    await waitFor(async () => (await directory(student.student_id))[0]?.deletedAt != null, 10_000, 'the row marked deleted')
    expect(await tracking(student.student_id)).toHaveLength(1)
  })

  test('student.created arriving after student.deleted (out of order): nothing comes back, no tracking, nothing emitted', async () => {
    const student = newStudent()
    await publisher.publish('student.deleted', { student_id: student.student_id, user_id: student.user_id })
    await waitFor(async () => (await directory(student.student_id))[0]?.deletedAt != null, 10_000, 'the tombstone')
    const before = await handled('student.created')
    await publisher.publish('student.created', student)
    await waitFor(async () => (await handled('student.created')) > before, 10_000, 'the late student.created handled')
    await Bun.sleep(300)
    expect(await tracking(student.student_id)).toEqual([])
    expect(announced(student.student_id)).toEqual([])
    expect((await directory(student.student_id))[0]!.deletedAt).not.toBeNull()
  })

  test('student.created naming another account for a known student: dead-lettered with the reason; the student keeps their account', async () => {
    const student = newStudent()
    await publisher.publish('student.created', student)
    await waitFor(async () => announced(student.student_id).length === 1, 10_000, 'the first student.created')
    const taken = await publisher.publish('student.created', { ...student, user_id: crypto.randomUUID() })
    let letter: { error: string } | undefined
    await waitFor(async () => (letter = (await s.deadLetters()).find((d) => d.messageId === taken.event_id)) !== undefined, 10_000, 'the dead letter')
    expect(letter!.error).toContain('belongs to another account')
    expect((await directory(student.student_id))[0]).toMatchObject({ userId: student.user_id })
    expect(announced(student.student_id)).toHaveLength(1)
  })

  test('an email update for a student core has not met yet is retried, and applies once student.created arrives', async () => {
    const student = newStudent()
    const early = { student_id: student.student_id, updated_fields: ['email'], email: 'early@example.org' }
    await publisher.publish('student.updated', early)
    await waitFor(async () => /medtrack_messages_total\{queue="events",type="student.updated",outcome="retried"\} [1-9]/.test(await worker.metrics.render()), 5_000, 'the update retried')

    await publisher.publish('student.created', student)
    await waitFor(async () => (await directory(student.student_id))[0]?.email === 'early@example.org', 10_000, 'the retried update applied')
  })
})
