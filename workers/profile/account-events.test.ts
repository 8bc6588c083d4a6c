import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { listDeadLetters } from '../../core/index.ts'
import { accounts, encadrants, profileOutbox, students } from '../../schemas/db/profile.ts'
import { waitFor } from '../../test/broker.ts'
import { problemPaths, startProfileService, uniqueEmail, type ProfileService } from '../../api/profile/test-service.ts'

let s: ProfileService

beforeAll(async () => {
  s = await startProfileService('accounts')
})
afterAll(async () => {
  await s.close()
})

const studentsOf = (userId: string) => s.database.db.select().from(students).where(eq(students.userId, userId))
const encadrantsOf = (userId: string) => s.database.db.select().from(encadrants).where(eq(encadrants.userId, userId))
const outboxSize = async () => (await s.database.db.select().from(profileOutbox)).length
const byEmail = (email: string) => s.database.db.select().from(students).where(sql`lower(${students.email}) = lower(${email})`)
/** Waits until the worker has acked `count` events of the type in all. */
const consumed = (type: 'user.created' | 'user.deleted', count: number) => waitFor(async () => (await s.handled(type)) >= count, 5_000, `${count} ${type} handled`)
const account = (role: 'student' | 'encadrant' | 'admin', email = uniqueEmail(role)) => ({ user_id: crypto.randomUUID(), email, role, first_name: 'Fatima', last_name: 'Zahra' })

describe('user.created', () => {
  test('role student: one student profile for that user, student.created once; the same event delivered twice is still one', async () => {
    const user = account('student')
    const event = await s.publish('user.created', user)
    await s.applied(event.event_id)
    const [row, ...more] = await studentsOf(user.user_id)
    expect(more).toHaveLength(0)
    expect(row).toMatchObject({ userId: user.user_id, email: user.email, firstName: 'Fatima', lastName: 'Zahra', cin: null })
    const created = await s.waitForEvent('student.created', (p) => p.user_id === user.user_id)
    expect(created.payload).toEqual({ student_id: row!.id, user_id: user.user_id, email: user.email, first_name: 'Fatima', last_name: 'Zahra' })
    expect(created.causation_id).toBe(event.event_id)

    const handled = await s.handled('user.created')
    await s.publish('user.created', user, event.event_id)
    // A second account event for the same user (another id): the profile exists, nothing happens.
    await s.publish('user.created', user)
    await consumed('user.created', handled + 2)
    expect(await studentsOf(user.user_id)).toHaveLength(1)
    expect(await s.emitted('student.created', (p) => p.user_id === user.user_id)).toHaveLength(1)
    expect(s.published.filter((e) => e.event_type === 'student.created' && (e.payload as { user_id: string }).user_id === user.user_id)).toHaveLength(1)
  })

  test('role encadrant: one encadrant profile, encadrant.created once, also when delivered twice; role admin: no profile', async () => {
    const user = account('encadrant')
    const event = await s.publish('user.created', user)
    await s.applied(event.event_id)
    const handled = await s.handled('user.created')
    await s.publish('user.created', user, event.event_id)
    await consumed('user.created', handled + 1)
    const [row, ...more] = await encadrantsOf(user.user_id)
    expect(more).toHaveLength(0)
    expect(row).toMatchObject({ userId: user.user_id, email: user.email, firstName: 'Fatima', lastName: 'Zahra' })
    expect(await studentsOf(user.user_id)).toHaveLength(0)
    const created = await s.waitForEvent('encadrant.created', (p) => p.user_id === user.user_id)
    expect(created.payload).toEqual({ encadrant_id: row!.id, user_id: user.user_id, email: user.email, first_name: 'Fatima', last_name: 'Zahra', establishment_id: null })
    expect(await s.emitted('encadrant.created', (p) => p.user_id === user.user_id)).toHaveLength(1)

    const adminUser = account('admin')
    await s.applied((await s.publish('user.created', adminUser)).event_id)
    expect(await studentsOf(adminUser.user_id)).toHaveLength(0)
    expect(await encadrantsOf(adminUser.user_id)).toHaveLength(0)
  })

  test('an email that already has a profile (another user id, any case) creates nothing and emits nothing', async () => {
    const existing = (await s.as('admin').post('/students', { email: uniqueEmail('taken') })).body
    const event = await s.publish('user.created', account('student', existing.email.toUpperCase()))
    await s.applied(event.event_id)
    expect(await byEmail(existing.email)).toHaveLength(1)
    expect(await s.emitted('student.created', (p) => p.email.toLowerCase() === existing.email.toLowerCase())).toHaveLength(1)

    // The person is an encadrant already: no student profile for their email either.
    const encadrant = (await s.as('admin').post('/encadrants', { email: uniqueEmail('enc') })).body
    const asStudent = await s.publish('user.created', account('student', encadrant.email))
    await s.applied(asStudent.event_id)
    expect(await byEmail(encadrant.email)).toHaveLength(0)
  })

  test('cascade 2 ends: the account auth makes for an admin-created student (same user id) adds nothing', async () => {
    const student = (await s.as('admin').post('/students', { email: uniqueEmail('cascade'), first_name: 'Omar' })).body
    const event = await s.publish('user.created', { user_id: student.user_id, email: student.email, role: 'student', first_name: 'Omar', last_name: 'B' })
    await s.applied(event.event_id)
    expect(await studentsOf(student.user_id)).toEqual([expect.objectContaining({ id: student.id, firstName: 'Omar', lastName: null })])
    expect(await s.emitted('student.created', (p) => p.user_id === student.user_id)).toHaveLength(1)
  })
})

describe('user.deleted', () => {
  test("a student's account: the profile is deleted and student.deleted emitted once", async () => {
    const user = account('student')
    await s.applied((await s.publish('user.created', user)).event_id)
    const [row] = await studentsOf(user.user_id)
    const event = await s.publish('user.deleted', { user_id: user.user_id })
    await s.applied(event.event_id)
    const handled = await s.handled('user.deleted')
    await s.publish('user.deleted', { user_id: user.user_id }, event.event_id)
    await consumed('user.deleted', handled + 1)
    expect(await studentsOf(user.user_id)).toHaveLength(0)
    const deleted = await s.waitForEvent('student.deleted', (p) => p.user_id === user.user_id)
    expect(deleted.payload).toEqual({ student_id: row!.id, user_id: user.user_id })
    const again = await s.publish('user.deleted', { user_id: user.user_id })
    await s.applied(again.event_id)
    expect(await s.emitted('student.deleted', (p) => p.user_id === user.user_id)).toHaveLength(1)
  })

  test("an encadrant's account: the profile is deleted, no event; an account without a profile: nothing", async () => {
    const user = account('encadrant')
    await s.applied((await s.publish('user.created', user)).event_id)
    const before = await outboxSize()
    await s.applied((await s.publish('user.deleted', { user_id: user.user_id })).event_id)
    expect(await encadrantsOf(user.user_id)).toHaveLength(0)
    const nobody = await s.publish('user.deleted', { user_id: crypto.randomUUID() })
    await s.applied(nobody.event_id)
    expect(await outboxSize()).toBe(before)
  })
})

test("user.verified notes the account's address as proved; for an account never heard of it does nothing; never dead-lettered", async () => {
  const user = account('student')
  await s.applied((await s.publish('user.created', user)).event_id)
  await s.applied((await s.publish('user.verified', { user_id: user.user_id, email: user.email })).event_id)
  await s.applied((await s.publish('user.verified', { user_id: crypto.randomUUID(), email: uniqueEmail('verified') })).event_id)
  const [row] = await s.database.db.select().from(accounts).where(eq(accounts.userId, user.user_id))
  expect(row).toMatchObject({ signedUp: true, verifiedAt: expect.any(Date) })
  expect(await listDeadLetters({ connection: s.connection, service: 'profile', namespace: s.namespace })).toEqual([])
})

describe('the account directory', () => {
  test("an admin's student or encadrant for an address whose profile an unverified sign-up got takes it over: the sign-up's profile goes (student.deleted), the admin's has a user of its own; a verified one's address stays taken", async () => {
    const squatter = account('student')
    await s.applied((await s.publish('user.created', squatter)).event_id)
    const [signUpProfile] = await studentsOf(squatter.user_id)
    const taken = await s.as('admin').post('/students', { email: squatter.email.toUpperCase(), first_name: 'Victoria' })
    expect(taken.status).toBe(201)
    expect(taken.body.user_id).not.toBe(squatter.user_id)
    expect(await studentsOf(squatter.user_id)).toHaveLength(0)
    const deletedEvents = await s.database.db.select().from(profileOutbox).where(eq(profileOutbox.eventType, 'student.deleted'))
    expect(deletedEvents.map((e) => (e.envelope as { payload: unknown }).payload)).toContainEqual({ student_id: signUpProfile!.id, user_id: squatter.user_id })

    const asEncadrant = account('encadrant')
    await s.applied((await s.publish('user.created', asEncadrant)).event_id)
    const encadrant = await s.as('admin').post('/encadrants', { email: asEncadrant.email })
    expect(encadrant.status).toBe(201)
    expect(encadrant.body.user_id).not.toBe(asEncadrant.user_id)
    expect(await encadrantsOf(asEncadrant.user_id)).toHaveLength(0)

    const owner = account('student')
    await s.applied((await s.publish('user.created', owner)).event_id)
    await s.applied((await s.publish('user.verified', { user_id: owner.user_id, email: owner.email })).event_id)
    expect(await s.as('admin').post('/students', { email: owner.email })).toMatchObject({ status: 409, body: { problems: [{ path: '/email', message: 'already registered' }] } })
    expect(await studentsOf(owner.user_id)).toHaveLength(1)
  })

  test('a student profile deleted and made again by an admin stays with the registered account (same user id)', async () => {
    const user = account('student')
    await s.applied((await s.publish('user.created', user)).event_id)
    const [first] = await studentsOf(user.user_id)
    expect((await s.as('admin').delete(`/students/${first!.id}`)).status).toBe(200)
    expect(await studentsOf(user.user_id)).toHaveLength(0)

    const again = await s.as('admin').post('/students', { email: user.email.toUpperCase(), first_name: 'Fatima' })
    expect(again.status).toBe(201)
    expect(again.body.user_id).toBe(user.user_id)
    expect(await s.as('student', user.user_id).get('/students/me')).toMatchObject({ status: 200, body: { id: again.body.id } })
  })

  test("an admin's account gets no profile from an admin either: its email or user id → 409 naming the field, not a student's (an encadrant's)", async () => {
    const user = account('admin')
    await s.applied((await s.publish('user.created', user)).event_id)
    const refused = (path: string, kind: string) => ({ status: 409, body: { problems: [{ path, message: `the account is not ${kind}'s` }] } })
    expect(await s.as('admin').post('/students', { email: user.email.toUpperCase() })).toMatchObject(refused('/email', 'a student'))
    expect(await s.as('admin').post('/students', { email: uniqueEmail('fresh'), user_id: user.user_id })).toMatchObject(refused('/user_id', 'a student'))
    expect(await s.as('admin').post('/encadrants', { email: user.email })).toMatchObject(refused('/email', 'an encadrant'))
    expect(await s.as('admin').post('/encadrants', { email: uniqueEmail('fresh'), user_id: user.user_id })).toMatchObject(refused('/user_id', 'an encadrant'))
    expect(await studentsOf(user.user_id)).toHaveLength(0)
    expect(await encadrantsOf(user.user_id)).toHaveLength(0)
    expect(await byEmail(user.email)).toHaveLength(0)
  })

  test("an account whose profile is under another email: a profile asked for with the account's email alone is refused at /email, naming why", async () => {
    const user = account('student')
    await s.applied((await s.publish('user.created', user)).event_id)
    expect((await s.as('admin').delete(`/students/${(await studentsOf(user.user_id))[0]!.id}`)).status).toBe(200)
    const elsewhere = await s.as('admin').post('/students', { email: uniqueEmail('elsewhere'), user_id: user.user_id })
    expect(elsewhere.status).toBe(201)
    const again = await s.as('admin').post('/students', { email: user.email })
    expect(again).toMatchObject({ status: 409, body: { problems: [{ path: '/email', message: 'its account already has a profile' }] } })
    expect(await studentsOf(user.user_id)).toHaveLength(1)
  })

  test("a user id given with the email of another account is refused at /email: a profile never holds someone else's email", async () => {
    const owner = account('student')
    await s.applied((await s.publish('user.created', owner)).event_id)
    expect((await s.as('admin').delete(`/students/${(await studentsOf(owner.user_id))[0]!.id}`)).status).toBe(200)
    const other = account('student')
    await s.applied((await s.publish('user.created', other)).event_id)
    expect((await s.as('admin').delete(`/students/${(await studentsOf(other.user_id))[0]!.id}`)).status).toBe(200)
    const borrowed = await s.as('admin').post('/students', { email: owner.email, user_id: other.user_id })
    expect(borrowed).toMatchObject({ status: 409, body: { problems: [{ path: '/email', message: 'is the email of another account' }] } })
    expect(await studentsOf(other.user_id)).toHaveLength(0)
    // Its own account's email, or one no account has, is fine.
    expect((await s.as('admin').post('/students', { email: other.email, user_id: other.user_id })).status).toBe(201)
  })

  test('an account remembered without its role takes it from its next user.created', async () => {
    const user = account('admin')
    await s.database.db.execute(sql`insert into profile.accounts (user_id, email) values (${user.user_id}, ${user.email})`)
    await s.applied((await s.publish('user.created', user)).event_id)
    const asStudent = await s.as('admin').post('/students', { email: user.email })
    expect(asStudent).toMatchObject({ status: 409, body: { problems: [{ path: '/email', message: "the account is not a student's" }] } })
  })

  test("a student's account whose profile was deleted takes no encadrant profile, and an encadrant's account no student profile", async () => {
    const student = account('student')
    await s.applied((await s.publish('user.created', student)).event_id)
    expect((await s.as('admin').delete(`/students/${(await studentsOf(student.user_id))[0]!.id}`)).status).toBe(200)
    const asEncadrant = await s.as('admin').post('/encadrants', { email: student.email })
    expect(asEncadrant).toMatchObject({ status: 409, body: { problems: [{ path: '/email', message: "the account is not an encadrant's" }] } })
    expect(problemPaths(await s.as('admin').post('/encadrants', { email: uniqueEmail('fresh'), user_id: student.user_id }))).toEqual(['/user_id'])
    expect(await encadrantsOf(student.user_id)).toHaveLength(0)

    const encadrant = account('encadrant')
    await s.applied((await s.publish('user.created', encadrant)).event_id)
    expect((await s.as('admin').delete(`/encadrants/${(await encadrantsOf(encadrant.user_id))[0]!.id}`)).status).toBe(200)
    const asStudent = await s.as('admin').post('/students', { email: encadrant.email })
    expect(asStudent).toMatchObject({ status: 409, body: { problems: [{ path: '/email', message: "the account is not a student's" }] } })
    expect(problemPaths(await s.as('admin').post('/students', { email: uniqueEmail('fresh'), user_id: encadrant.user_id }))).toEqual(['/user_id'])
    expect(await studentsOf(encadrant.user_id)).toHaveLength(0)
  })

  test('after user.deleted the email is free: a new student with it gets a new user id', async () => {
    const user = account('student')
    await s.applied((await s.publish('user.created', user)).event_id)
    await s.applied((await s.publish('user.deleted', { user_id: user.user_id })).event_id)
    const made = await s.as('admin').post('/students', { email: user.email })
    expect(made.status).toBe(201)
    expect(made.body.user_id).not.toBe(user.user_id)
  })
})
