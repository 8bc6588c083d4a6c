import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { commApi } from '../../api/comm/app.ts'
import { parseConfig, type Envelope, type EventPublisher } from '../../core/index.ts'
import { commStages, notifications } from '../../schemas/db/comm.ts'
import type { catalogue } from '../../schemas/events/index.ts'
import { waitFor, type EventTap } from '../../test/broker.ts'
import { bearer, startService, tokenFor, type Service } from '../../test/service.ts'
import { CommSettings } from './settings.ts'
import { commWorker } from './worker.ts'

const TIERS = [200, 400, 800, 1_600, 3_200]
let s: Service
let profile: EventPublisher<typeof catalogue>
let core: EventPublisher<typeof catalogue>
let evaluations: EventPublisher<typeof catalogue>
/** Every `notification.created` on the bus. */
let seen: EventTap

beforeAll(async () => {
  s = await startService({ label: 'comm_internship', api: commApi, worker: commWorker(parseConfig(CommSettings, {})), env: { RETRY_TIERS: TIERS.join(',') } })
  profile = s.publisher('profile')
  core = s.publisher('core')
  evaluations = s.publisher('eval')
  seen = await s.tap('notification.created')
})

afterAll(async () => {
  await s.close()
})

type Role = 'student' | 'encadrant'
interface Person {
  user_id: string
  role: Role
}
interface Listed {
  id: string
  type: string
  title: string
  body: string
  related_type: string | null
  related_id: string | null
  created_at: string
}

const uuid = () => crypto.randomUUID()
const email = (label: string) => `${label}-${uuid().slice(0, 8)}@example.org`

/** A student comm has heard of (student.created applied, welcome and all). */
async function student() {
  const made = { student_id: uuid(), user_id: uuid(), role: 'student' as const }
  await profile.publish('student.created', { student_id: made.student_id, user_id: made.user_id, email: email('s') })
  await waitFor(async () => (await count(made)) === 1, 10_000, 'the welcome')
  return made
}

const encadrantCreated = (establishmentId: string | null) => {
  const made = { encadrant_id: uuid(), user_id: uuid(), role: 'encadrant' as const }
  return { made, payload: { encadrant_id: made.encadrant_id, user_id: made.user_id, email: email('e'), establishment_id: establishmentId } }
}

/** An encadrant comm has heard of, attached to the establishment. */
async function encadrant(establishmentId: string | null) {
  const { made, payload } = encadrantCreated(establishmentId)
  const before = await s.handled('encadrant.created')
  await profile.publish('encadrant.created', payload)
  await waitFor(async () => (await s.handled('encadrant.created')) > before, 10_000, 'encadrant.created applied')
  return made
}

/** What the user sees in their notifications, newest first (`query` adds to `per_page=100`). */
async function listed(who: Person, query = ''): Promise<Listed[]> {
  const res = await fetch(s.url(`/comm/api/notifications?per_page=100${query}`), { headers: bearer(await tokenFor(who.role, who.user_id)) })
  expect(res.status).toBe(200)
  return (await res.json()).items
}

/** How many notifications the user has. */
const count = async (who: Person) => (await s.database.db.select().from(notifications).where(eq(notifications.userId, who.user_id))).length
/** The user's notifications but the welcome, oldest first, as `type related_type related_id` lines. */
const summary = async (who: Person) =>
  (await listed(who))
    .filter((n) => n.type !== 'welcome')
    .reverse()
    .map((n) => `${n.type} ${n.related_type} ${n.related_id}`)
const announced = (who: Person) => seen.envelopes().filter((e) => e.payload.user_id === who.user_id)
const retried = async (type: string) => new RegExp(`medtrack_messages_total\\{queue="events",type="${type.replace('.', '\\.')}",outcome="retried"\\} [1-9]`).test(await s.worker!.metrics.render())

/** Publishes and resolves once the worker has finished with one more event of its type. */
async function applied(publisher: EventPublisher<typeof catalogue>, type: Parameters<EventPublisher<typeof catalogue>['publish']>[0], payload: any): Promise<Envelope> {
  const before = await s.handled(type)
  const envelope = await publisher.publish(type, payload)
  await waitFor(async () => (await s.handled(type)) > before, 10_000, `${type} applied`)
  return envelope
}

/** A stage of the student at the establishment, with the extras core sends. */
function stageOf(who: { student_id: string }, establishmentId: string) {
  const stage = { stage_id: uuid(), student_id: who.student_id, offer_id: uuid(), establishment_id: establishmentId }
  return {
    ...stage,
    created: { ...stage, start_date: '2027-01-11' },
    accepted: (encadrantId: string) => ({ ...stage, encadrant_id: encadrantId }),
    started: (encadrantId: string) => ({ ...stage, encadrant_id: encadrantId, actual_start_date: '2027-01-11' }),
    completed: (encadrantId: string) => ({ ...stage, encadrant_id: encadrantId, completion_date: '2027-03-31' }),
    cancelled: (reason: string, encadrantId?: string, statusBefore?: string) => ({ ...stage, reason, ...(encadrantId ? { encadrant_id: encadrantId } : {}), ...(statusBefore ? { status_before: statusBefore } : {}) }),
  }
}

describe('an internship from assignment to grade', () => {
  test('each step notifies its people, with its type and what it links to, listed for each user, each announced once on the bus', async () => {
    const establishment = uuid()
    const ada = await student()
    const supervisor = await encadrant(establishment)
    const colleague = await encadrant(establishment)
    const elsewhere = await encadrant(uuid())
    const stage = stageOf(ada, establishment)
    const evaluationId = uuid()

    await applied(core, 'stage.created', stage.created)
    await applied(core, 'stage.accepted', stage.accepted(supervisor.encadrant_id))
    await applied(core, 'stage.started', stage.started(supervisor.encadrant_id))
    await applied(core, 'stage.completed', stage.completed(supervisor.encadrant_id))
    await applied(evaluations, 'evaluation.created', { evaluation_id: evaluationId, stage_id: stage.stage_id, student_id: ada.student_id, score: 15.5, encadrant_id: supervisor.encadrant_id })
    await applied(evaluations, 'grade.assigned', { student_id: ada.student_id, stage_id: stage.stage_id, final_grade: 15.75 })

    const onStage = `stage stage ${stage.stage_id}`
    expect(await summary(ada)).toEqual([onStage, onStage, onStage, onStage, `evaluation evaluation ${evaluationId}`, `grade stage ${stage.stage_id}`])
    // stage.completed's two notifications of the supervisor are made together: their order is no one's.
    expect((await summary(supervisor)).sort()).toEqual([`evaluation_due stage ${stage.stage_id}`, onStage, onStage, onStage, onStage])
    expect(await summary(colleague)).toEqual([onStage])
    expect(await summary(elsewhere)).toEqual([])

    const [grade, evaluation, completed, started, accepted, created] = await listed(ada)
    expect(created).toMatchObject({ title: 'A new internship for you', body: expect.stringContaining('2027-01-11') })
    expect(accepted!.title).toBe('Your internship was accepted')
    expect(started!.title).toBe('Your internship has started')
    expect(completed!.title).toBe('Your internship is completed')
    expect(evaluation).toMatchObject({ title: 'Your internship was evaluated', body: expect.stringContaining('15.5/20') })
    expect(grade).toMatchObject({ title: 'Your final grade: 15.75/20', body: expect.stringContaining('15.75/20') })
    expect((await listed(colleague))[0]).toMatchObject({ title: 'An internship waits for a supervisor', body: expect.stringContaining('2027-01-11') })

    const due = await listed(supervisor, '&type=evaluation_due')
    expect(due).toEqual([expect.objectContaining({ type: 'evaluation_due', title: 'An evaluation to write', related_type: 'stage', related_id: stage.stage_id })])
    expect((await listed(ada, '&type=grade')).map((n) => n.title)).toEqual(['Your final grade: 15.75/20'])
    const unknownType = await fetch(s.url('/comm/api/notifications?type=nope'), { headers: bearer(await tokenFor('student', ada.user_id)) })
    expect(unknownType.status).toBe(422)
    expect((await unknownType.json()).problems.map((p: { path: string }) => p.path)).toEqual(['/query/type'])

    for (const who of [ada, supervisor, colleague]) {
      await waitFor(async () => announced(who).length === (await count(who)), 10_000, 'notification.created for each')
      const ids = (await listed(who)).filter((n) => n.type !== 'welcome').map((n) => n.id)
      const events = announced(who).filter((e) => e.payload.type !== 'welcome')
      expect(events.map((e) => e.payload.notification_id).sort()).toEqual([...ids].sort())
      for (const e of events) {
        const n = (await listed(who)).find((l) => l.id === e.payload.notification_id)!
        expect(e.payload).toEqual({ notification_id: n.id, user_id: who.user_id, type: n.type, title: n.title, related_type: n.related_type, related_id: n.related_id, body: n.body, created_at: n.created_at })
      }
    }
  })

  test('a cancellation tells the student and the stage\'s encadrant, with the reason; not the other encadrants of the establishment', async () => {
    const establishment = uuid()
    const ada = await student()
    const supervisor = await encadrant(establishment)
    const colleague = await encadrant(establishment)
    const stage = stageOf(ada, establishment)
    await applied(core, 'stage.created', stage.created)
    await applied(core, 'stage.accepted', stage.accepted(supervisor.encadrant_id))
    await applied(core, 'stage.cancelled', stage.cancelled('The ward closes for renovation', supervisor.encadrant_id, 'accepted'))

    for (const who of [ada, supervisor]) {
      const [cancelled] = await listed(who)
      expect(cancelled).toMatchObject({ type: 'stage', related_type: 'stage', related_id: stage.stage_id, body: expect.stringContaining('Reason: The ward closes for renovation') })
      expect(cancelled!.title).toContain('cancelled')
    }
    expect(await summary(colleague)).toEqual([`stage stage ${stage.stage_id}`])
  })

  test('a stage cancelled before anyone accepted it tells its student only; one at an establishment with no encadrant comm knows tells its student only', async () => {
    const ada = await student()
    const stage = stageOf(ada, uuid())
    await applied(core, 'stage.created', stage.created)
    await applied(core, 'stage.cancelled', stage.cancelled('Assigned by mistake', undefined, 'created'))
    const [cancelled, created] = await listed(ada)
    expect(created).toMatchObject({ related_id: stage.stage_id, title: 'A new internship for you' })
    expect(cancelled).toMatchObject({ related_id: stage.stage_id, body: expect.stringContaining('Assigned by mistake') })
  })
})

describe('once per event and user', () => {
  test('each event delivered twice, and each published again under a new event id: one notification each, one notification.created each', async () => {
    const establishment = uuid()
    const ada = await student()
    const supervisor = await encadrant(establishment)
    const stage = stageOf(ada, establishment)
    const steps: [EventPublisher<typeof catalogue>, any, any][] = [
      [core, 'stage.created', stage.created],
      [core, 'stage.accepted', stage.accepted(supervisor.encadrant_id)],
      [core, 'stage.started', stage.started(supervisor.encadrant_id)],
      [core, 'stage.completed', stage.completed(supervisor.encadrant_id)],
      [evaluations, 'evaluation.created', { evaluation_id: uuid(), stage_id: stage.stage_id, student_id: ada.student_id, score: 12 }],
      [evaluations, 'grade.assigned', { student_id: ada.student_id, stage_id: stage.stage_id, final_grade: 12 }],
    ]
    for (const [publisher, type, payload] of steps) {
      const before = await s.handled(type)
      const first = await publisher.publish(type, payload)
      await publisher.publishEnvelope(first)
      await publisher.publish(type, payload)
      await waitFor(async () => (await s.handled(type)) === before + 3, 10_000, `${type} three times`)
    }
    await Bun.sleep(300)

    expect(await summary(ada)).toHaveLength(6)
    expect(await summary(supervisor)).toHaveLength(5)
    expect(announced(ada)).toHaveLength(7)
    expect(announced(supervisor)).toHaveLength(5)
  })
})

describe('who is who, whatever arrives first', () => {
  test('stage.accepted naming an encadrant comm does not know is retried, and notifies both once encadrant.created arrives', async () => {
    const establishment = uuid()
    const ada = await student()
    const stage = stageOf(ada, establishment)
    await applied(core, 'stage.created', stage.created)
    const { made: late, payload } = encadrantCreated(establishment)

    await core.publish('stage.accepted', stage.accepted(late.encadrant_id))
    await waitFor(() => retried('stage.accepted'), 5_000, 'stage.accepted retried')
    expect(await summary(ada)).toEqual([`stage stage ${stage.stage_id}`])

    await profile.publish('encadrant.created', payload)
    await waitFor(async () => (await summary(late)).length === 1, 10_000, 'the retried stage.accepted applied')
    expect((await listed(late))[0]).toMatchObject({ type: 'stage', related_id: stage.stage_id, title: 'You supervise a new internship' })
    expect(await summary(ada)).toEqual([`stage stage ${stage.stage_id}`, `stage stage ${stage.stage_id}`])
  })

  test('a stage event for a student comm has not met is retried, and notifies them once student.created arrives', async () => {
    const studentId = uuid()
    const ada = { student_id: studentId, user_id: uuid(), role: 'student' as const }
    const stage = stageOf(ada, uuid())
    await core.publish('stage.created', stage.created)
    await waitFor(() => retried('stage.created'), 5_000, 'stage.created retried')
    await profile.publish('student.created', { student_id: studentId, user_id: ada.user_id, email: email('s') })
    await waitFor(async () => (await summary(ada)).length === 1, 10_000, 'the retried stage.created applied')
  })

  test('encadrant.updated before encadrant.created is retried; the new establishment then counts for the stages created there', async () => {
    const moved = uuid()
    const { made, payload } = encadrantCreated(uuid())
    await profile.publish('encadrant.updated', { encadrant_id: made.encadrant_id, updated_fields: ['establishment_id'], establishment_id: moved })
    await waitFor(() => retried('encadrant.updated'), 5_000, 'encadrant.updated retried')
    const before = await s.handled('encadrant.updated')
    await profile.publish('encadrant.created', payload)
    await waitFor(async () => (await s.handled('encadrant.updated')) > before, 10_000, 'the retried update applied')

    const ada = await student()
    const stage = stageOf(ada, moved)
    await applied(core, 'stage.created', stage.created)
    expect(await summary(made)).toEqual([`stage stage ${stage.stage_id}`])
  })

  test('stage.started arriving before stage.accepted: both notify, and the stage stays started', async () => {
    const establishment = uuid()
    const ada = await student()
    const supervisor = await encadrant(establishment)
    const stage = stageOf(ada, establishment)
    await applied(core, 'stage.created', stage.created)
    await applied(core, 'stage.started', stage.started(supervisor.encadrant_id))
    await applied(core, 'stage.accepted', stage.accepted(supervisor.encadrant_id))

    expect((await listed(supervisor)).map((n) => n.title)).toEqual(['You supervise a new internship', 'An internship you supervise has started', 'An internship waits for a supervisor'])
    const [row] = await s.database.db.select().from(commStages).where(eq(commStages.stageId, stage.stage_id))
    expect(row).toMatchObject({ status: 'started', studentId: ada.student_id, encadrantId: supervisor.encadrant_id, establishmentId: establishment })
  })
})
