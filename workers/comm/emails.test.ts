import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { Connection } from 'rabbitmq-client'
import { commApi } from '../../api/comm/app.ts'
import { DEFAULT_RETRY_TIERS, deleteTopology, parseConfig, silentLogger, type EventPublisher } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { commEmails, commEncadrants, notifications } from '../../schemas/db/comm.ts'
import type { catalogue } from '../../schemas/events/index.ts'
import { RABBITMQ_URL, waitFor } from '../../test/broker.ts'
import { jsonClient, startService, tokenFor, type Service } from '../../test/service.ts'
import { spawnEntry } from '../../test/processes.ts'
import { startSmtpSink } from '../../test/smtp.ts'
import { AuthSettings } from '../auth/settings.ts'
import { authWorker } from '../auth/worker.ts'
import { WorkerConfig } from '../kit/config.ts'
import { startWorker } from '../kit/run.ts'
import { CommSettings } from './settings.ts'
import { commWorker } from './worker.ts'

const TIERS = [200, 400, 800, 1_600, 3_200]
let s: Service
let smtp: Awaited<ReturnType<typeof startSmtpSink>>
let profile: EventPublisher<typeof catalogue>
let core: EventPublisher<typeof catalogue>
let evaluations: EventPublisher<typeof catalogue>
let admin: ReturnType<typeof jsonClient>

beforeAll(async () => {
  smtp = await startSmtpSink()
  const settings = parseConfig(CommSettings, { SMTP_URL: smtp.url, EMAIL_RETRY_MS: '300,600', EMAIL_POLL_MS: '50', EMAIL_FROM: 'MedTrack <no-reply@school.example.org>' })
  s = await startService({ label: 'comm_emails', api: commApi, worker: commWorker(settings), env: { RETRY_TIERS: TIERS.join(',') } })
  profile = s.publisher('profile')
  core = s.publisher('core')
  evaluations = s.publisher('eval')
  admin = jsonClient(s.url('/comm/api'), tokenFor('admin'))
})

afterAll(async () => {
  await s.close()
  // The auth worker one test starts in the same namespace leaves its queues.
  const connection = new Connection(RABBITMQ_URL)
  await deleteTopology(connection, { namespace: s.namespace, services: ['auth'], retryTiers: [...DEFAULT_RETRY_TIERS], commands: commandBindings() })
  await connection.close()
  await smtp.stop()
})

const uuid = () => crypto.randomUUID()
const address = (label: string) => `${label}-${uuid().slice(0, 8)}@example.org`

/** Publishes and resolves once the worker has finished with one more event of its type. */
async function applied(publisher: EventPublisher<typeof catalogue>, type: Parameters<EventPublisher<typeof catalogue>['publish']>[0], payload: any) {
  const before = await s.handled(type)
  const envelope = await publisher.publish(type, payload)
  await waitFor(async () => (await s.handled(type)) > before, 10_000, `${type} applied`)
  return envelope
}

/** A student comm has heard of, with their address. */
async function student(email = address('s')) {
  const made = { student_id: uuid(), user_id: uuid(), email }
  await applied(profile, 'student.created', made)
  return made
}

/** An encadrant comm has heard of, with their address, at the establishment. */
async function encadrant(establishmentId: string, email = address('e')) {
  const made = { encadrant_id: uuid(), user_id: uuid(), email, establishment_id: establishmentId }
  await applied(profile, 'encadrant.created', made)
  return made
}

/** A stage of the student at the establishment, created, with the extras core sends. */
async function createdStage(who: { student_id: string }, establishmentId: string) {
  const stage = { stage_id: uuid(), student_id: who.student_id, offer_id: uuid(), establishment_id: establishmentId }
  await applied(core, 'stage.created', { ...stage, start_date: '2027-01-11' })
  return stage
}

/** What the email log shows for the address (every page of 100 is enough here). */
async function logged(recipient: string) {
  const res = await admin.get(`/emails?per_page=100&recipient=${encodeURIComponent(recipient)}`)
  expect(res.status).toBe(200)
  return res.body.items as { email_id: string; producer: string; recipient: string; subject: string | null; status: string; error: string | null; occurred_at: string }[]
}

const subjectsTo = (recipient: string) => smtp.to(recipient).map((m) => m.subject)

describe('comm mails the important notifications', () => {
  test('SMTP down while a stage is accepted: both emails go out once SMTP is back, and the log shows them sent by comm', async () => {
    const establishment = uuid()
    const ada = await student()
    const supervisor = await encadrant(establishment)
    const stage = await createdStage(ada, establishment)
    await smtp.stop()
    try {
      await applied(core, 'stage.accepted', { ...stage, encadrant_id: supervisor.encadrant_id })
      const queued = async () => s.database.db.select().from(commEmails).where(eq(commEmails.recipient, ada.email))
      await waitFor(async () => ((await queued())[0]?.attempts ?? 0) >= 2, 10_000, 'two attempts while SMTP is away')
      expect((await queued())[0]!.status).toBe('pending')
      expect(await logged(ada.email)).toEqual([])
    } finally {
      await smtp.start()
    }
    await waitFor(async () => (await logged(ada.email)).length === 1 && (await logged(supervisor.email)).length === 1, 15_000, 'both emails logged')

    expect(subjectsTo(ada.email)).toEqual(['Your internship was accepted'])
    expect(subjectsTo(supervisor.email)).toEqual(['You supervise a new internship'])
    const [mail] = smtp.to(ada.email)
    expect(mail!.text).toContain('A supervisor accepted your internship and will follow it.')
    expect(mail!.html).toContain('<p>A supervisor accepted your internship and will follow it.</p>')
    expect(mail!.from).toBe('no-reply@school.example.org')
    const [entry] = await logged(ada.email)
    expect(entry).toMatchObject({ producer: 'comm-service', recipient: ada.email, subject: 'Your internship was accepted', status: 'sent', error: null })
    expect(mail!.messageId).toBe(`<${entry!.email_id}@school.example.org>`)
    // What is not mailed (the welcome, the new stage) stays a notification only.
    expect((await s.database.db.select().from(notifications).where(eq(notifications.userId, ada.user_id))).length).toBe(3)
  }, 30_000)

  test('a stage.accepted delivered twice and published again under a new event id sends one email to each', async () => {
    const establishment = uuid()
    const ada = await student()
    const supervisor = await encadrant(establishment)
    const stage = await createdStage(ada, establishment)
    const payload = { ...stage, encadrant_id: supervisor.encadrant_id }
    const before = await s.handled('stage.accepted')
    const first = await core.publish('stage.accepted', payload)
    await core.publishEnvelope(first)
    await core.publish('stage.accepted', payload)
    await waitFor(async () => (await s.handled('stage.accepted')) === before + 3, 10_000, 'stage.accepted three times')
    await waitFor(async () => (await logged(ada.email)).length === 1 && (await logged(supervisor.email)).length === 1, 10_000, 'the emails logged')
    await Bun.sleep(500)
    expect(subjectsTo(ada.email)).toEqual(['Your internship was accepted'])
    expect(subjectsTo(supervisor.email)).toEqual(['You supervise a new internship'])
    expect(await logged(ada.email)).toHaveLength(1)
  })

  test('a cancellation mails its reason, quoted and escaped; a completed stage mails the encadrant an evaluation to write; a grade mails the student', async () => {
    const establishment = uuid()
    const ada = await student()
    const supervisor = await encadrant(establishment)
    const done = await createdStage(ada, establishment)
    const withEncadrant = { ...done, encadrant_id: supervisor.encadrant_id }
    await applied(core, 'stage.accepted', withEncadrant)
    await applied(core, 'stage.started', { ...withEncadrant, actual_start_date: '2027-01-11' })
    await applied(core, 'stage.completed', { ...withEncadrant, completion_date: '2027-03-31' })
    await applied(evaluations, 'grade.assigned', { student_id: ada.student_id, stage_id: done.stage_id, final_grade: 15.75 })
    const other = await createdStage(ada, establishment)
    await applied(core, 'stage.accepted', { ...other, encadrant_id: supervisor.encadrant_id })
    await applied(core, 'stage.cancelled', { ...other, encadrant_id: supervisor.encadrant_id, reason: 'The ward <closes>\nfor renovation', status_before: 'accepted' })

    await waitFor(async () => (await logged(ada.email)).length === 4 && (await logged(supervisor.email)).length === 4, 10_000, 'every email logged')
    expect(subjectsTo(ada.email).sort()).toEqual(['Your final grade: 15.75/20', 'Your internship was accepted', 'Your internship was accepted', 'Your internship was cancelled'])
    expect(subjectsTo(supervisor.email).sort()).toEqual(['An evaluation to write', 'An internship you supervise was cancelled', 'You supervise a new internship', 'You supervise a new internship'])

    const cancelled = smtp.to(ada.email).find((m) => m.subject === 'Your internship was cancelled')!
    expect(cancelled.text).toContain('Your internship was cancelled. Reason: “The ward <closes> for renovation”')
    expect(cancelled.html).toContain('Reason: “<span class="typed">The ward &lt;closes&gt; for renovation</span>”')
    expect(smtp.to(ada.email).find((m) => m.subject.startsWith('Your final grade'))!.text).toContain("Your internship's final grade is 15.75/20.")
    expect(smtp.to(supervisor.email).find((m) => m.subject === 'An evaluation to write')!.text).toContain('completed on 2027-03-31: it waits for your evaluation')
  })

  test('an encadrant comm knows no address of is not mailed (their notification stays); the student is', async () => {
    const establishment = uuid()
    const ada = await student()
    const supervisor = await encadrant(establishment)
    // As for an encadrant heard of before comm kept addresses.
    await s.database.db.update(commEncadrants).set({ email: null }).where(eq(commEncadrants.encadrantId, supervisor.encadrant_id))
    const stage = await createdStage(ada, establishment)
    await applied(core, 'stage.accepted', { ...stage, encadrant_id: supervisor.encadrant_id })
    await waitFor(async () => (await logged(ada.email)).length === 1, 10_000, "the student's email logged")
    const supervisorNotices = await s.database.db.select().from(notifications).where(eq(notifications.userId, supervisor.user_id))
    expect(supervisorNotices.map((n) => n.title).sort()).toEqual(['An internship waits for a supervisor', 'You supervise a new internship'])
    expect(smtp.to(supervisor.email)).toHaveLength(0)
    expect(await logged(supervisor.email)).toEqual([])
  })

  test('an acceptance heard after the cancellation (events crossed) notifies and mails nobody: the cancellation is the last word', async () => {
    const establishment = uuid()
    const ada = await student()
    const supervisor = await encadrant(establishment)
    const stage = await createdStage(ada, establishment)
    const withEncadrant = { ...stage, encadrant_id: supervisor.encadrant_id }
    await applied(core, 'stage.cancelled', { ...withEncadrant, reason: 'No ward free', status_before: 'accepted' })
    await applied(core, 'stage.accepted', withEncadrant)
    await applied(core, 'stage.started', { ...withEncadrant, actual_start_date: '2027-01-11' })
    await waitFor(async () => (await logged(ada.email)).length === 1 && (await logged(supervisor.email)).length === 1, 10_000, 'the cancellation emails logged')
    await Bun.sleep(500)
    expect(subjectsTo(ada.email)).toEqual(['Your internship was cancelled'])
    expect(subjectsTo(supervisor.email)).toEqual(['An internship you supervise was cancelled'])
    const titles = (await s.database.db.select().from(notifications).where(eq(notifications.userId, ada.user_id))).map((n) => n.title).sort()
    expect(titles).toEqual(['A new internship for you', 'Welcome to MedTrack!', 'Your internship was cancelled'])
  })

  test('an encadrant comm knew no address of gets it from a repeated encadrant.created, and is mailed from then on', async () => {
    const establishment = uuid()
    const ada = await student()
    const supervisor = await encadrant(establishment)
    await s.database.db.update(commEncadrants).set({ email: null }).where(eq(commEncadrants.encadrantId, supervisor.encadrant_id))
    const other = address('other')
    await applied(profile, 'encadrant.created', { ...supervisor, email: other })
    await applied(profile, 'encadrant.created', supervisor)
    const [kept] = await s.database.db.select().from(commEncadrants).where(eq(commEncadrants.encadrantId, supervisor.encadrant_id))
    // The first address heard fills the gap; a later copy changes nothing.
    expect(kept!.email).toBe(other)
    await s.database.db.update(commEncadrants).set({ email: null }).where(eq(commEncadrants.encadrantId, supervisor.encadrant_id))
    await applied(profile, 'encadrant.created', supervisor)
    const stage = await createdStage(ada, establishment)
    await applied(core, 'stage.accepted', { ...stage, encadrant_id: supervisor.encadrant_id })
    await waitFor(async () => (await logged(supervisor.email)).length === 1, 10_000, "the encadrant's email logged")
    expect(subjectsTo(supervisor.email)).toEqual(['You supervise a new internship'])
  })

  test('a recipient the mail server refuses for good (550): email.failed, and the log shows it failed with the error', async () => {
    const establishment = uuid()
    const refused = address('refused')
    smtp.refused.add(refused)
    const ada = await student(refused)
    const supervisor = await encadrant(establishment)
    const stage = await createdStage(ada, establishment)
    await applied(core, 'stage.accepted', { ...stage, encadrant_id: supervisor.encadrant_id })
    await waitFor(async () => (await logged(refused)).length === 1, 10_000, 'the failure logged')
    const [entry] = await logged(refused)
    expect(entry).toMatchObject({ producer: 'comm-service', recipient: refused, subject: 'Your internship was accepted', status: 'failed', error: expect.stringContaining('550') })
    expect(smtp.to(refused)).toHaveLength(0)
    const failed = await admin.get(`/emails?status=failed&recipient=${encodeURIComponent(refused.toUpperCase())}`)
    expect(failed.body.items.map((e: { email_id: string }) => e.email_id)).toEqual([entry!.email_id])
    expect((await admin.get(`/emails?status=sent&recipient=${encodeURIComponent(refused)}`)).body.items).toEqual([])
  })
})

describe("comm's log of every email", () => {
  test("auth's set-password email appears in comm's log, sent by auth", async () => {
    const auth = await startWorker(
      authWorker(parseConfig(AuthSettings, { SMTP_URL: smtp.url, EMAIL_POLL_MS: '50', PUBLIC_URL: 'https://medtrack.example.org' })),
      parseConfig(WorkerConfig, { DATABASE_URL: s.database.url, RABBITMQ_URL, MEDTRACK_NAMESPACE: s.namespace, LOG_LEVEL: 'error', PORT: '0' }),
      silentLogger,
    )
    try {
      const ada = await student()
      await waitFor(async () => (await logged(ada.email)).length === 1, 15_000, "auth's email logged")
      expect(subjectsTo(ada.email)).toEqual(['Your MedTrack account: choose a password'])
      expect(await logged(ada.email)).toEqual([
        { email_id: expect.any(String), producer: 'auth-service', recipient: ada.email, subject: 'Your MedTrack account: choose a password', status: 'sent', error: null, occurred_at: expect.any(String) },
      ])
      expect(smtp.to(ada.email)[0]!.messageId).toStartWith(`<${(await logged(ada.email))[0]!.email_id}@`)
    } finally {
      await auth.close()
    }
  }, 30_000)

  test('one row per email whatever comes again: a copy changes nothing, a failed never replaces sent, a sent replaces failed; newest first', async () => {
    const auth = s.publisher('auth')
    const recipient = address('log')
    const sentFirst = uuid()
    const failedFirst = uuid()
    const sent = await auth.publish('email.sent', { email_id: sentFirst, recipient, subject: 'First' })
    await auth.publishEnvelope(sent)
    await auth.publish('email.failed', { email_id: sentFirst, recipient, error: 'too late' })
    await auth.publish('email.failed', { email_id: failedFirst, recipient, error: 'connection refused', subject: 'Second' })
    await waitFor(async () => (await logged(recipient)).length === 2, 10_000, 'two emails logged')
    await auth.publish('email.sent', { email_id: failedFirst, recipient, subject: 'Second' })
    await waitFor(async () => (await logged(recipient)).every((e) => e.status === 'sent'), 10_000, 'the failure replaced by its sending')
    await Bun.sleep(300)

    const entries = await logged(recipient)
    expect(entries.map((e) => [e.email_id, e.status, e.subject, e.error])).toEqual([
      [failedFirst, 'sent', 'Second', null],
      [sentFirst, 'sent', 'First', null],
    ])
    expect(entries.every((e) => e.producer === 'auth-service')).toBe(true)
    const page = await admin.get(`/emails?per_page=1&page=2&recipient=${encodeURIComponent(recipient)}`)
    expect(page.body).toMatchObject({ page: 2, per_page: 1, total: 2, items: [{ email_id: sentFirst }] })
  })
})

describe('GET /comm/api/emails', () => {
  test('admins only: 401 without a token, 403 for a student or an encadrant', async () => {
    expect((await jsonClient(s.url('/comm/api')).get('/emails')).status).toBe(401)
    for (const role of ['student', 'encadrant'] as const) {
      const res = await jsonClient(s.url('/comm/api'), tokenFor(role)).get('/emails')
      expect(res.status).toBe(403)
      expect(res.body.error).toBeString()
    }
  })

  test('a bad query value is a 422 naming its field', async () => {
    for (const [query, path] of [
      ['status=pending', '/query/status'],
      ['recipient=not-an-address', '/query/recipient'],
      ['per_page=101', '/query/per_page'],
      ['page=0', '/query/page'],
    ]) {
      const res = await admin.get(`/emails?${query}`)
      expect(res.status).toBe(422)
      expect(res.body.problems.map((p: { path: string }) => p.path)).toEqual([path])
    }
  })
})

describe("the comm worker's email settings", () => {
  test('refused at start, each bad one named (exit 1)', async () => {
    const child = spawnEntry('workers/comm/main.ts', { DATABASE_URL: s.database.url, MEDTRACK_NAMESPACE: s.namespace, PORT: '0', LOG_LEVEL: 'info', EMAIL_POLL_MS: 'often', EMAIL_RETRY_MS: '1s,5s' })
    expect(await child.exited).toBe(1)
    const line = await child.waitForLine(/EMAIL_POLL_MS/, 1_000)
    expect(line).toContain('EMAIL_RETRY_MS')
  })
})
