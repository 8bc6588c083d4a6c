import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq, sql } from 'drizzle-orm'
import { Names, parseConfig, type EventPublisher } from '../../core/index.ts'
import { CommSettings } from '../../workers/comm/settings.ts'
import { commStages, commStudents, commTokenVersions, messages, notifications } from '../../schemas/db/comm.ts'
import type { catalogue } from '../../schemas/events/index.ts'
import { waitFor, type EventTap } from '../../test/broker.ts'
import { jsonClient, startService, tokenFor, type Answer, type Service } from '../../test/service.ts'
import { commWorker } from '../../workers/comm/worker.ts'
import type { Role } from '../kit/jwt.ts'
import { commApi } from './app.ts'

let s: Service
let auth: EventPublisher<typeof catalogue>
let profile: EventPublisher<typeof catalogue>
let core: EventPublisher<typeof catalogue>
/** Every `message.sent` on the bus. */
let sent: EventTap

beforeAll(async () => {
  s = await startService({ label: 'comm_messages', api: commApi, worker: commWorker(parseConfig(CommSettings, {})) })
  auth = s.publisher('auth')
  profile = s.publisher('profile')
  core = s.publisher('core')
  sent = await s.tap('message.sent')
})
afterAll(async () => {
  await s.close()
})

const uuid = () => crypto.randomUUID()
const email = (label: string) => `${label}-${uuid().slice(0, 8)}@example.org`

interface Person {
  user_id: string
  role: Role
  /** The caller's comm API under `/comm/api`. */
  api: ReturnType<typeof jsonClient>
}
interface Student extends Person {
  student_id: string
}
interface Encadrant extends Person {
  encadrant_id: string
}

/** An account comm has heard of from `user.created`. */
async function account(role: Role): Promise<Person> {
  const user_id = uuid()
  await auth.publish('user.created', { user_id, email: email(role), role, first_name: 'Test', last_name: role })
  await waitFor(async () => (await s.database.db.select().from(commTokenVersions).where(eq(commTokenVersions.userId, user_id))).length === 1, 10_000, 'the account known')
  return { user_id, role, api: jsonClient(s.url('/comm/api'), tokenFor(role, user_id)) }
}

async function student(): Promise<Student> {
  const person = await account('student')
  const student_id = uuid()
  await profile.publish('student.created', { student_id, user_id: person.user_id, email: email('s') })
  await waitFor(async () => (await s.database.db.select().from(commStudents).where(eq(commStudents.studentId, student_id))).length === 1, 10_000, 'the student known')
  return { ...person, student_id }
}

async function encadrant(): Promise<Encadrant> {
  const person = await account('encadrant')
  const encadrant_id = uuid()
  const before = await s.handled('encadrant.created')
  await profile.publish('encadrant.created', { encadrant_id, user_id: person.user_id, email: email('e'), establishment_id: null })
  await waitFor(async () => (await s.handled('encadrant.created')) > before, 10_000, 'the encadrant known')
  return { ...person, encadrant_id }
}

const STEPS = ['created', 'accepted', 'started', 'completed', 'cancelled'] as const

/** A stage of the student, taken by core's events through `steps` (the encadrant accepting it), once comm has them all. */
async function stage(who: Student, by: Encadrant, steps: (typeof STEPS)[number][] = ['created', 'accepted']) {
  const stage_id = uuid()
  const extras = { stage_id, student_id: who.student_id, offer_id: uuid(), establishment_id: uuid() }
  const supervised = { ...extras, encadrant_id: by.encadrant_id }
  for (const step of steps) {
    if (step === 'created') await core.publish('stage.created', { ...extras, start_date: '2027-01-11' })
    if (step === 'accepted') await core.publish('stage.accepted', supervised)
    if (step === 'started') await core.publish('stage.started', { ...supervised, actual_start_date: '2027-01-11' })
    if (step === 'completed') await core.publish('stage.completed', { ...supervised, completion_date: '2027-03-31' })
    if (step === 'cancelled') await core.publish('stage.cancelled', { ...supervised, reason: 'The ward closes' })
  }
  const last = steps.at(-1)!
  await waitFor(async () => (await s.database.db.select().from(commStages).where(eq(commStages.stageId, stage_id)))[0]?.status === last, 10_000, `the stage ${last}`)
  return stage_id
}

const write = (from: Person, to: Person | string, subject = 'About Monday', body = 'Could we meet before the ward round?', extra: Record<string, unknown> = {}) =>
  from.api.post('/messages', { receiver_id: typeof to === 'string' ? to : to.user_id, subject, body, ...extra })

/** The caller's `message` notifications, newest first. */
async function messageNotices(who: Person) {
  const res = await who.api.get('/notifications?type=message&per_page=100')
  expect(res.status).toBe(200)
  return res.body.items as { id: string; type: string; related_type: string; related_id: string; title: string; body: string; read: boolean }[]
}

const paths = (a: Answer): string[] => (a.body?.problems ?? []).map((p: { path: string }) => p.path)
const announced = (messageId: string) => sent.envelopes().filter((e) => e.payload.message_id === messageId)

describe('a conversation between a student and their encadrant', () => {
  test('the student writes, the encadrant replies: both boxes, unread counts and notifications are right before and after each marks read', async () => {
    const ada = await student()
    const karim = await encadrant()
    await stage(ada, karim)

    const first = await write(ada, karim, 'About Monday', 'Could we meet before the ward round?')
    expect(first.status).toBe(201)
    const question = first.body
    expect(question).toEqual({
      id: expect.any(String),
      sender_id: ada.user_id,
      receiver_id: karim.user_id,
      subject: 'About Monday',
      body: 'Could we meet before the ward round?',
      reply_to: null,
      thread_id: question.id,
      read: false,
      read_at: null,
      created_at: expect.any(String),
    })
    await waitFor(() => announced(question.id).length === 1, 10_000, 'message.sent')
    expect(announced(question.id)[0]!.payload).toEqual({ message_id: question.id, sender_id: ada.user_id, receiver_id: karim.user_id, subject: 'About Monday', thread_id: question.id })

    expect(await karim.api.get('/messages')).toMatchObject({ status: 200, body: { box: 'inbox', items: [question], page: 1, per_page: 20, total: 1, unread: 1 } })
    expect(await ada.api.get('/messages?box=sent')).toMatchObject({ status: 200, body: { box: 'sent', items: [question], total: 1, unread: 0 } })
    expect((await ada.api.get('/messages')).body).toMatchObject({ items: [], total: 0, unread: 0 })
    expect((await karim.api.get('/messages?box=sent')).body).toMatchObject({ items: [], total: 0, unread: 1 })
    expect(await messageNotices(karim)).toEqual([
      expect.objectContaining({ type: 'message', related_type: 'message', related_id: question.id, title: 'New message: About Monday', body: 'Could we meet before the ward round?', read: false }),
    ])
    expect(await messageNotices(ada)).toEqual([])

    const second = await write(karim, ada, 'Re: About Monday', 'Yes, at 8 in my office.', { reply_to: question.id })
    expect(second.status).toBe(201)
    const answer = second.body
    expect(answer).toMatchObject({ sender_id: karim.user_id, receiver_id: ada.user_id, reply_to: question.id, thread_id: question.id, read: false })
    expect((await ada.api.get('/messages')).body).toMatchObject({ items: [answer], total: 1, unread: 1 })
    expect((await karim.api.get('/messages?box=sent')).body).toMatchObject({ items: [answer], total: 1, unread: 1 })
    expect(await messageNotices(ada)).toEqual([expect.objectContaining({ related_type: 'message', related_id: answer.id, read: false })])

    // Both see the thread, oldest first.
    for (const who of [ada, karim]) {
      expect(await who.api.get(`/messages/${answer.id}/thread`)).toMatchObject({ status: 200, body: { thread_id: question.id, items: [question, answer], total: 2 } })
      expect(await who.api.get(`/messages/${question.id}`)).toMatchObject({ status: 200, body: question })
    }

    // Ada reads the answer: twice is harmless, the first read_at stays; her notification of it is read too.
    const read = await ada.api.post(`/messages/${answer.id}/read`)
    expect(read).toMatchObject({ status: 200, body: { ...answer, read: true, read_at: expect.any(String) } })
    expect(await ada.api.post(`/messages/${answer.id}/read`)).toEqual(read)
    expect((await ada.api.get('/messages')).body).toMatchObject({ items: [read.body], unread: 0 })
    expect(await messageNotices(ada)).toEqual([expect.objectContaining({ related_id: answer.id, read: true })])
    // Karim's side is as it was.
    expect((await karim.api.get('/messages')).body).toMatchObject({ items: [question], unread: 1 })
    expect((await karim.api.get('/messages?box=sent')).body.items).toEqual([read.body])

    expect((await karim.api.post(`/messages/${question.id}/read`)).status).toBe(200)
    expect((await karim.api.get('/messages')).body).toMatchObject({ unread: 0, items: [{ id: question.id, read: true }] })
    expect(await messageNotices(karim)).toEqual([expect.objectContaining({ related_id: question.id, read: true })])
    // One notification each, whatever was read.
    expect(await messageNotices(ada)).toHaveLength(1)
    expect(await messageNotices(karim)).toHaveLength(1)
  })

  test('the inbox is newest first and paged; the unread count is of the whole inbox', async () => {
    const admin = await account('admin')
    const ada = await student()
    const ids: string[] = []
    for (const n of [1, 2, 3]) ids.push((await write(admin, ada, `Notice ${n}`)).body.id)
    const firstPage = (await ada.api.get('/messages?per_page=2')).body
    expect(firstPage).toMatchObject({ page: 1, per_page: 2, total: 3, unread: 3 })
    expect(firstPage.items.map((m: { id: string }) => m.id)).toEqual([ids[2], ids[1]])
    const secondPage = (await ada.api.get('/messages?per_page=2&page=2')).body
    expect(secondPage.items.map((m: { id: string }) => m.id)).toEqual([ids[0]])
    expect(secondPage.unread).toBe(3)
    expect((await ada.api.get('/messages?box=trash')).status).toBe(422)
    expect(paths(await ada.api.get('/messages?box=trash'))).toEqual(['/query/box'])
  })
})

describe('who may write to whom', () => {
  test('a student writes to the encadrant of an accepted, started or completed stage and to admins; an admin to anyone; an encadrant to admins', async () => {
    const admin = await account('admin')
    const ada = await student()
    const [accepted, started, completed] = [await encadrant(), await encadrant(), await encadrant()]
    await stage(ada, accepted, ['created', 'accepted'])
    await stage(ada, started, ['created', 'accepted', 'started'])
    await stage(ada, completed, ['created', 'accepted', 'started', 'completed'])
    for (const to of [accepted, started, completed, admin]) expect((await write(ada, to)).status).toBe(201)
    for (const to of [accepted, started, completed]) expect((await write(to, ada)).status).toBe(201)
    expect((await write(accepted, admin)).status).toBe(201)
    const otherAdmin = await account('admin')
    for (const to of [ada, accepted, otherAdmin]) expect((await write(admin, to)).status).toBe(201)
  })

  test('a student writing to another student, or to an encadrant not theirs: 403 saying why, nothing sent', async () => {
    const ada = await student()
    const ben = await student()
    const stranger = await encadrant()
    const toStudent = await write(ada, ben)
    expect(toStudent.status).toBe(403)
    expect(toStudent.body).toEqual({
      error: 'FORBIDDEN',
      message: 'you may not write to this user: a student writes to the encadrants of their accepted stages and to admins',
      problems: [{ path: '/receiver_id', message: 'is not someone you may write to' }],
    })
    expect((await write(ada, stranger)).status).toBe(403)
    expect((await ben.api.get('/messages')).body).toMatchObject({ total: 0, unread: 0 })
    expect(await messageNotices(ben)).toEqual([])
  })

  test('an encadrant writing to a student they do not supervise is a 403: another encadrant\'s, one only waiting for acceptance, one cancelled', async () => {
    const karim = await encadrant()
    const other = await encadrant()
    const ada = await student()
    const ben = await student()
    const cyr = await student()
    const dan = await student()
    await stage(ada, other)
    await stage(ben, karim, ['created'])
    await stage(cyr, karim, ['created', 'accepted', 'cancelled'])
    for (const to of [ada, ben, cyr, dan]) {
      const refused = await write(karim, to)
      expect(refused.status).toBe(403)
      expect(refused.body.message).toBe('you may not write to this user: an encadrant writes to the students they supervise and to admins')
    }
    expect((await write(ben, karim)).status).toBe(403)
    expect((await write(cyr, karim)).status).toBe(403)
    // Nor to another encadrant.
    expect((await write(karim, other)).status).toBe(403)
  })

  test('a stage accepted but not yet heard of by comm: refused (403) until its event arrives, then allowed', async () => {
    const ada = await student()
    const karim = await encadrant()
    const stageId = await stage(ada, karim, ['created'])
    expect((await write(ada, karim)).status).toBe(403)
    await core.publish('stage.accepted', { stage_id: stageId, student_id: ada.student_id, encadrant_id: karim.encadrant_id })
    await waitFor(async () => (await s.database.db.select().from(commStages).where(eq(commStages.stageId, stageId)))[0]?.status === 'accepted', 10_000, 'the stage accepted')
    expect((await write(ada, karim)).status).toBe(201)
  })

  test('an unknown receiver, a deleted account or oneself: 422 naming /receiver_id', async () => {
    const admin = await account('admin')
    const gone = await account('student')
    await auth.publish('user.deleted', { user_id: gone.user_id })
    await waitFor(async () => (await s.database.db.select().from(commTokenVersions).where(eq(commTokenVersions.userId, gone.user_id)))[0]?.deletedAt != null, 10_000, 'the account deleted')
    for (const to of [uuid(), gone.user_id]) {
      const unknown = await write(admin, to)
      expect(unknown.status).toBe(422)
      expect(unknown.body.problems).toEqual([{ path: '/receiver_id', message: 'no account has this id' }])
    }
    const self = await write(admin, admin)
    expect(self.status).toBe(422)
    expect(self.body.problems).toEqual([{ path: '/receiver_id', message: 'is yourself' }])
    // The format takes an id in upper case: it is still the caller's own.
    const shouted = await write(admin, admin.user_id.toUpperCase())
    expect(shouted.status).toBe(422)
    expect(shouted.body.problems).toEqual([{ path: '/receiver_id', message: 'is yourself' }])
  })
})

describe('replies', () => {
  test('reply_to must be a message the caller sent or received, and the reply goes to its other person: else 422 naming /reply_to', async () => {
    const admin = await account('admin')
    const ada = await student()
    const ben = await student()
    const toAda = (await write(admin, ada, 'Your convention')).body
    const toBen = (await write(admin, ben, 'Your convention')).body

    const notHers = await write(ada, admin, 'Re: Your convention', 'Thanks', { reply_to: toBen.id })
    expect(notHers.status).toBe(422)
    expect(notHers.body.problems).toEqual([{ path: '/reply_to', message: 'is not a message you sent or received' }])
    expect(paths(await write(ada, admin, 'Re', 'Thanks', { reply_to: uuid() }))).toEqual(['/reply_to'])

    // The admin answering their own message, but to someone else.
    const elsewhere = await write(admin, ben, 'Re: Your convention', 'Wrong person', { reply_to: toAda.id })
    expect(elsewhere.status).toBe(422)
    expect(elsewhere.body.problems).toEqual([{ path: '/reply_to', message: `is a message with another person: a reply to it goes to ${ada.user_id}` }])

    // The sender adding to their own thread is a reply too; a reply to a reply stays in the first thread.
    const more = (await write(admin, ada, 'And also', 'Bring your card', { reply_to: toAda.id })).body
    const back = (await write(ada, admin, 'Re: And also', 'Will do', { reply_to: more.id })).body
    expect([more.thread_id, back.thread_id, back.reply_to]).toEqual([toAda.id, toAda.id, more.id])
    expect((await ada.api.get(`/messages/${toAda.id}/thread`)).body.items.map((m: { id: string }) => m.id)).toEqual([toAda.id, more.id, back.id])
    expect((await ben.api.get(`/messages/${toAda.id}/thread`)).status).toBe(404)
  })

  test('a receiver_id and a reply_to in upper case name the same account and message: the reply is taken, stored in lower case, in its thread', async () => {
    const admin = await account('admin')
    const ada = await student()
    const question = (await write(admin, ada, 'Your convention')).body
    const reply = await write(ada, admin.user_id.toUpperCase(), 'Re: Your convention', 'Signed', { reply_to: question.id.toUpperCase() })
    expect(reply.status).toBe(201)
    expect(reply.body).toMatchObject({ sender_id: ada.user_id, receiver_id: admin.user_id, reply_to: question.id, thread_id: question.id })
    expect((await admin.api.get(`/messages/${reply.body.id}`)).status).toBe(200)
  })
})

describe('a message is its sender\'s and its receiver\'s', () => {
  test('a stranger (an admin too) reading it, its thread or marking it read: 404; its sender marking it read: 403; it stays unread', async () => {
    const ada = await student()
    const karim = await encadrant()
    await stage(ada, karim)
    const message = (await write(ada, karim)).body
    for (const stranger of [await student(), await encadrant(), await account('admin')]) {
      expect(await stranger.api.get(`/messages/${message.id}`)).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } })
      expect((await stranger.api.get(`/messages/${message.id}/thread`)).status).toBe(404)
      expect(await stranger.api.post(`/messages/${message.id}/read`)).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } })
    }
    expect(await ada.api.post(`/messages/${message.id}/read`)).toMatchObject({ status: 403, body: { error: 'FORBIDDEN', message: 'only the receiver of a message marks it read' } })
    expect((await karim.api.get('/messages')).body.unread).toBe(1)
    expect((await karim.api.get(`/messages/${uuid()}`)).status).toBe(404)
    expect(paths(await karim.api.get('/messages/not-a-uuid'))).toEqual(['/params/id'])
    const anonymous = jsonClient(s.url('/comm/api'))
    expect((await anonymous.get('/messages')).status).toBe(401)
    expect((await anonymous.post('/messages', { receiver_id: karim.user_id, subject: 'Hi', body: 'Hi' })).status).toBe(401)
  })
})

describe('bad bodies name the field', () => {
  test.each([
    ['no subject', { subject: undefined }, '/subject', 'is required'],
    ['an empty subject', { subject: '' }, '/subject', undefined],
    ['a subject of two lines', { subject: 'About\nMonday' }, '/subject', 'must be one line, without control characters (a newline, a tab)'],
    ['a subject of 201 characters', { subject: 's'.repeat(201) }, '/subject', undefined],
    ['no body', { body: undefined }, '/body', 'is required'],
    ['a body of spaces', { body: '   ' }, '/body', 'must not be blank'],
    ['a body of 10,001 characters', { body: 'b'.repeat(10_001) }, '/body', undefined],
    ['a receiver that is not a uuid', { receiver_id: 'karim' }, '/receiver_id', undefined],
    ['a reply_to that is not a uuid', { reply_to: 42 }, '/reply_to', undefined],
  ])('%s → 422 naming it', async (_, change, path, message) => {
    const admin = await account('admin')
    const body: Record<string, unknown> = { receiver_id: uuid(), subject: 'About Monday', body: 'Hello', ...change }
    for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key]
    const res = await admin.api.post('/messages', body)
    expect(res.status).toBe(422)
    expect(res.body.error).toBe('VALIDATION_FAILED')
    expect(paths(res)).toEqual([path])
    if (message) expect(res.body.problems[0].message).toBe(message)
  })

  test('a subject of 200 characters and a body of 10,000 (not ASCII) are taken whole', async () => {
    const admin = await account('admin')
    const ada = await student()
    const subject = 'é'.repeat(200)
    const body = 'ü\n'.repeat(5_000)
    const res = await write(admin, ada, subject, body)
    expect(res.status).toBe(201)
    expect((await ada.api.get(`/messages/${res.body.id}`)).body).toMatchObject({ subject, body })
    // The notification quotes the beginning.
    const [notice] = await messageNotices(ada)
    expect(notice!.body).toBe(`${body.slice(0, 199)}…`)
  })

  test('JSON that does not parse → 400; not JSON → 415', async () => {
    const admin = await account('admin')
    const headers = { authorization: `Bearer ${await tokenFor('admin', admin.user_id)}` }
    const malformed = await fetch(s.url('/comm/api/messages'), { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"receiver_id":' })
    expect(malformed.status).toBe(400)
    const form = await fetch(s.url('/comm/api/messages'), { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: 'subject=hi' })
    expect(form.status).toBe(415)
  })
})

describe('once, whatever is delivered again', () => {
  /** Sends a `comm.send_message` command straight to comm's queue, as the API would, without waiting for its answer. */
  async function sendRaw(commandId: string, actor: Person, payload: Record<string, unknown>) {
    const publisher = s.connection.createPublisher({ confirm: true })
    await publisher.send(
      { routingKey: new Names(s.namespace).commandQueue('comm'), messageId: commandId, type: 'comm.send_message', durable: true, contentType: 'application/json' },
      { command_id: commandId, command_type: 'comm.send_message', correlation_id: null, actor: { user_id: actor.user_id, role: actor.role }, payload },
    )
    await publisher.close()
  }
  const stored = (sender: Person) => s.database.db.select().from(messages).where(eq(messages.senderId, sender.user_id))
  const noticesOf = (receiver: Person) => s.database.db.select().from(notifications).where(and(eq(notifications.userId, receiver.user_id), eq(notifications.type, 'message')))

  test('the same command delivered twice, and once more after its inbox entry is gone: one message, one notification, one message.sent', async () => {
    const admin = await account('admin')
    const ada = await student()
    const commandId = uuid()
    const payload = { sender_id: admin.user_id, receiver_id: ada.user_id, subject: 'Twice', body: 'Delivered twice' }
    await sendRaw(commandId, admin, payload)
    await sendRaw(commandId, admin, payload)
    await waitFor(async () => (await stored(admin)).length === 1, 10_000, 'the message stored')
    const operation = async () => (await s.database.db.execute(sql`select count(*)::int as n from comm.command_results where command_id = ${commandId}`)) as unknown as { n: number }[]
    await waitFor(async () => (await operation())[0]!.n === 1, 10_000, 'the result stored')
    // Past the inbox: the message's id is the command's, so nothing more is made.
    await s.database.db.execute(sql`delete from comm.inbox where message_id = ${commandId}`)
    await s.database.db.execute(sql`delete from comm.command_results where command_id = ${commandId}`)
    await sendRaw(commandId, admin, payload)
    await waitFor(async () => (await operation())[0]!.n === 1, 10_000, 'the third delivery applied')
    await Bun.sleep(300)
    const [message] = await stored(admin)
    expect(await stored(admin)).toHaveLength(1)
    expect((await noticesOf(ada)).map((n) => n.relatedId)).toEqual([message!.id])
    expect(announced(message!.id)).toHaveLength(1)
    const result = (await s.database.db.execute(sql`select body from comm.command_results where command_id = ${commandId}`)) as unknown as { body: { id: string } }[]
    expect(result[0]!.body.id).toBe(message!.id)
  })

  test('the same request sent again with its Idempotency-Key: the same message, once', async () => {
    const admin = await account('admin')
    const ada = await student()
    const token = await tokenFor('admin', admin.user_id)
    const send = async () => {
      const res = await fetch(s.url('/comm/api/messages'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'msg-1', authorization: `Bearer ${token}` },
        body: JSON.stringify({ receiver_id: ada.user_id, subject: 'Once', body: 'Only once' }),
      })
      return { status: res.status, body: await res.json() }
    }
    const [first, again] = [await send(), await send()]
    expect(first.status).toBe(201)
    expect(again).toEqual(first)
    expect(await stored(admin)).toHaveLength(1)
    expect(await noticesOf(ada)).toHaveLength(1)
  })
})
