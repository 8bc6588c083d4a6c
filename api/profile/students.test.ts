import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { students } from '../../schemas/db/profile.ts'
import { waitFor } from '../../test/broker.ts'
import { problemPaths, startProfileService, uniqueEmail, type ProfileService } from './test-service.ts'

let s: ProfileService
const admin = () => s.as('admin')

beforeAll(async () => {
  s = await startProfileService('students')
})
afterAll(async () => {
  await s.close()
})

async function createStudent(fields: Record<string, unknown> = {}) {
  const res = await admin().post('/students', { email: uniqueEmail('student'), ...fields })
  expect(res.status).toBe(201)
  return res.body
}

describe('/students', () => {
  test('an admin creates a student: 201, the row, and student.created on the bus', async () => {
    const email = uniqueEmail('ada')
    const res = await admin().post('/students', { email, cin: 'AB123456', phone: '+212600000001', first_name: 'Ada', last_name: 'Lovelace' })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ email, cin: 'AB123456', phone: '+212600000001', first_name: 'Ada', last_name: 'Lovelace' })
    const [row] = await s.database.db.select().from(students).where(eq(students.id, res.body.id))
    expect(row).toMatchObject({ userId: res.body.user_id, email, cin: 'AB123456' })
    const event = await s.waitForEvent('student.created', (p) => p.student_id === res.body.id)
    expect(event.payload).toEqual({ student_id: res.body.id, user_id: res.body.user_id, email, cin: 'AB123456', phone: '+212600000001', first_name: 'Ada', last_name: 'Lovelace' })
    expect(event.service).toBe('profile-service')
  })

  test('creating: a student or an encadrant → 403, no token → 401, a bad body → 422 with paths, a taken email → 409', async () => {
    const email = uniqueEmail('who')
    expect((await s.as('student').post('/students', { email })).status).toBe(403)
    expect((await s.as('encadrant').post('/students', { email })).status).toBe(403)
    expect((await s.anonymous.post('/students', { email })).status).toBe(401)
    const bad = await admin().post('/students', { email: 'nope', cin: '', first_name: 3 })
    expect(bad.status).toBe(422)
    expect(problemPaths(bad)).toEqual(expect.arrayContaining(['/email', '/cin', '/first_name']))
    expect(await s.database.db.select().from(students).where(eq(students.email, email))).toHaveLength(0)

    const taken = await createStudent()
    const again = await admin().post('/students', { email: taken.email.toUpperCase() })
    expect(again.status).toBe(409)
    expect(problemPaths(again)).toEqual(['/email'])
    const sameUser = await admin().post('/students', { email: uniqueEmail('other'), user_id: taken.user_id })
    expect(sameUser.status).toBe(409)
  })

  test('a user id that already has a profile, with a new email: 409 naming /user_id, not /email; a taken email names /email', async () => {
    const taken = await createStudent()
    const byUser = await admin().post('/students', { email: uniqueEmail('fresh'), user_id: taken.user_id })
    expect(byUser.status).toBe(409)
    expect(byUser.body.problems).toEqual([{ path: '/user_id', message: 'already has a profile' }])
    const encadrant = (await admin().post('/encadrants', { email: uniqueEmail('enc') })).body
    expect(problemPaths(await admin().post('/students', { email: uniqueEmail('fresh'), user_id: encadrant.user_id }))).toEqual(['/user_id'])
    const byEmail = await admin().post('/students', { email: taken.email.toUpperCase(), user_id: crypto.randomUUID() })
    expect(byEmail.status).toBe(409)
    expect(byEmail.body.problems).toEqual([{ path: '/email', message: 'already registered' }])
    expect(problemPaths(await admin().post('/students', { email: encadrant.email, user_id: taken.user_id }))).toEqual(['/email', '/user_id'])
    expect(await s.database.db.select().from(students).where(eq(students.userId, encadrant.user_id))).toHaveLength(0)
  })

  test('an email the event catalogue accepts is accepted here too, accents and all: 201 and student.created', async () => {
    const email = `josé.${crypto.randomUUID().slice(0, 8)}@exemple.fr`
    const res = await admin().post('/students', { email })
    expect(res.status).toBe(201)
    expect((await s.waitForEvent('student.created', (p) => p.student_id === res.body.id)).payload.email).toBe(email)
  })

  test('many at once: the same email five times (any case) → one 201 and four 409; twenty others → twenty 201 and twenty events', async () => {
    const email = uniqueEmail('rush')
    const same = await Promise.all([email, email.toUpperCase(), email, email[0]!.toUpperCase() + email.slice(1), email.toUpperCase()].map((e) => admin().post('/students', { email: e })))
    expect(same.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409])
    const others = await Promise.all(Array.from({ length: 20 }, () => admin().post('/students', { email: uniqueEmail('crowd') })))
    expect(others.map((r) => r.status)).toEqual(Array(20).fill(201))
    const ids = new Set(others.map((r) => r.body.id as string))
    expect(ids.size).toBe(20)
    await waitFor(async () => (await s.emitted('student.created', (p) => ids.has(p.student_id))).length === 20, 5_000, 'twenty student.created')
    expect(await s.emitted('student.created', (p) => p.email.toLowerCase() === email.toLowerCase())).toHaveLength(1)
  })

  test("an encadrant's email or user id (any case) is taken for a student too: 409, no student row", async () => {
    const encadrant = await admin().post('/encadrants', { email: uniqueEmail('enc') })
    expect(encadrant.status).toBe(201)
    const byEmail = await admin().post('/students', { email: encadrant.body.email.toUpperCase() })
    expect(byEmail.status).toBe(409)
    const byUser = await admin().post('/students', { email: uniqueEmail('someone'), user_id: encadrant.body.user_id })
    expect(byUser.status).toBe(409)
    expect(await s.database.db.select().from(students).where(eq(students.userId, encadrant.body.user_id))).toHaveLength(0)
  })

  test('listing, paged and newest first: admins; a student or an encadrant → 403; no token → 401; bad paging → 422', async () => {
    const made = [await createStudent(), await createStudent(), await createStudent()]
    const total = (await s.database.db.select().from(students)).length

    const first = await admin().get('/students?page=1&per_page=2')
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ page: 1, per_page: 2, total })
    expect(first.body.items.map((i: { id: string }) => i.id)).toEqual([made[2].id, made[1].id])
    expect((await s.as('encadrant').get('/students?page=2&per_page=2')).status).toBe(403)
    const second = await admin().get('/students?page=2&per_page=2')
    expect(second.status).toBe(200)
    expect(second.body.items[0].id).toBe(made[0].id)
    const defaults = await admin().get('/students')
    expect(defaults.body).toMatchObject({ page: 1, per_page: 20, total })
    expect(defaults.body.items[0]).toEqual(made[2])

    expect((await s.as('student', made[0].user_id).get('/students')).status).toBe(403)
    expect((await s.anonymous.get('/students')).status).toBe(401)
    const bad = await admin().get('/students?page=0&per_page=101')
    expect(bad.status).toBe(422)
    expect(problemPaths(bad)).toEqual(expect.arrayContaining(['/query/page', '/query/per_page']))
  })

  test('reading one: admin and the student themself 200; another student or an encadrant 403; unknown 404; no token 401; /students/me', async () => {
    const student = await createStudent({ first_name: 'Grace' })
    const path = `/students/${student.id}`
    expect(await admin().get(path)).toEqual({ status: 200, body: student })
    expect((await s.as('encadrant').get(path)).status).toBe(403)
    expect(await s.as('student', student.user_id).get(path)).toEqual({ status: 200, body: student })
    expect((await s.as('student').get(path)).status).toBe(403)
    expect((await admin().get(`/students/${crypto.randomUUID()}`)).status).toBe(404)
    expect((await s.anonymous.get(path)).status).toBe(401)
    expect(problemPaths(await admin().get('/students/not-a-uuid'))).toEqual(['/params/id'])

    expect(await s.as('student', student.user_id).get('/students/me')).toEqual({ status: 200, body: student })
    expect((await s.as('student').get('/students/me')).status).toBe(404)
    expect((await s.as('admin').get('/students/me')).status).toBe(403)
  })

  test('updating: the student themself and admins, a partial body; student.updated names what changed; nothing changed → 200 and no event', async () => {
    const student = await createStudent({ first_name: 'Alan', phone: '+212600000002' })
    const path = `/students/${student.id}`
    const self = s.as('student', student.user_id)

    const res = await self.patch(path, { phone: '+212600000003', first_name: 'Alan', email: 'ignored@example.org', user_id: crypto.randomUUID(), shoe_size: 44 })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: student.id, user_id: student.user_id, email: student.email, phone: '+212600000003', first_name: 'Alan' })
    expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(student.updated_at))
    const event = await s.waitForEvent('student.updated', (p) => p.student_id === student.id)
    expect(event.payload).toEqual({ student_id: student.id, updated_fields: ['phone'] })

    const same = await self.patch(path, { phone: '+212600000003' })
    expect(same).toEqual({ status: 200, body: res.body })
    const empty = await self.patch(path, {})
    expect(empty).toEqual({ status: 200, body: res.body })
    expect(await s.emitted('student.updated', (p) => p.student_id === student.id)).toHaveLength(1)

    const byAdmin = await admin().patch(path, { cin: 'CD654321', last_name: 'Turing' })
    expect(byAdmin.status).toBe(200)
    expect(byAdmin.body).toMatchObject({ cin: 'CD654321', last_name: 'Turing', phone: '+212600000003' })
    const updates = await s.emitted('student.updated', (p) => p.student_id === student.id)
    expect(updates.map((e) => e.payload)).toEqual([
      { student_id: student.id, updated_fields: ['phone'] },
      { student_id: student.id, updated_fields: ['cin', 'last_name'] },
    ])
    expect((await admin().get(path)).body).toEqual(byAdmin.body)

    // null clears an optional field, as a form emptied by the student sends it.
    const cleared = await self.patch(path, { phone: null, cin: null })
    expect(cleared.status).toBe(200)
    expect(cleared.body).toMatchObject({ phone: null, cin: null, last_name: 'Turing' })
    expect((await admin().get(path)).body).toEqual(cleared.body)
    const clearing = await s.waitForEvent('student.updated', (p) => p.student_id === student.id && p.updated_fields.length === 2 && p.updated_fields.includes('phone'))
    expect(clearing.payload).toEqual({ student_id: student.id, updated_fields: ['cin', 'phone'] })
  })

  test('updating: another student or an encadrant → 403, no token → 401, unknown → 404, a bad body → 422 with paths; nothing changes', async () => {
    const student = await createStudent({ phone: '+212600000004' })
    const path = `/students/${student.id}`
    expect((await s.as('student').patch(path, { phone: '+1' })).status).toBe(403)
    expect((await s.as('encadrant').patch(path, { phone: '+1' })).status).toBe(403)
    expect((await s.anonymous.patch(path, { phone: '+1' })).status).toBe(401)
    expect((await admin().patch(`/students/${crypto.randomUUID()}`, { phone: '+1' })).status).toBe(404)
    const bad = await s.as('student', student.user_id).patch(path, { phone: '', cin: 7 })
    expect(bad.status).toBe(422)
    expect(problemPaths(bad)).toEqual(expect.arrayContaining(['/phone', '/cin']))
    // An email cannot be cleared: it is not a field a PATCH changes at all; a name of spaces is still refused.
    const blank = await s.as('student', student.user_id).patch(path, { first_name: '   ' })
    expect(blank.body.problems).toEqual([{ path: '/first_name', message: 'must not be blank, or null' }])
    expect((await admin().get(path)).body).toEqual(student)
    expect(await s.emitted('student.updated', (p) => p.student_id === student.id)).toHaveLength(0)
  })

  test("a person's name is one line: a newline or a tab in first_name or last_name → 422 naming the field, when creating a student or an encadrant and when updating one", async () => {
    const created = await admin().post('/students', { email: uniqueEmail('named'), first_name: 'Ana' })
    expect(created.status).toBe(201)
    const self = s.as('student', created.body.user_id)
    const encadrant = (await admin().post('/encadrants', { email: uniqueEmail('named') })).body
    for (const bad of ['Bob,\n\nIMPORTANT: log in at http://evil.example', 'Ana\tMaria']) {
      const oneLine = 'must be one line, without control characters (a newline, a tab)'
      const calls = [
        ['/first_name', oneLine, admin().post('/students', { email: uniqueEmail('bad'), first_name: bad })],
        ['/last_name', oneLine, admin().post('/encadrants', { email: uniqueEmail('bad'), last_name: bad })],
        ['/last_name', `${oneLine}, or null`, self.patch(`/students/${created.body.id}`, { last_name: bad })],
        ['/first_name', `${oneLine}, or null`, s.as('encadrant', encadrant.user_id).patch(`/encadrants/${encadrant.id}`, { first_name: bad })],
      ] as const
      for (const [path, message, call] of calls) expect(await call).toEqual({ status: 422, body: { error: 'VALIDATION_FAILED', message: 'invalid body', problems: [{ path, message }] } })
    }
    expect((await admin().get(`/students/${created.body.id}`)).body).toMatchObject({ first_name: 'Ana', last_name: null })
    expect((await self.patch(`/students/${created.body.id}`, { last_name: "O'Brien-Núñez" })).body.last_name).toBe("O'Brien-Núñez")
  })

  test('deleting: admins only; 200 {deleted: true} and student.deleted; then 404', async () => {
    const student = await createStudent()
    const path = `/students/${student.id}`
    expect((await s.as('student', student.user_id).delete(path)).status).toBe(403)
    expect((await s.as('encadrant').delete(path)).status).toBe(403)
    expect((await s.anonymous.delete(path)).status).toBe(401)

    expect(await admin().delete(path)).toEqual({ status: 200, body: { id: student.id, deleted: true } })
    const event = await s.waitForEvent('student.deleted', (p) => p.student_id === student.id)
    expect(event.payload).toEqual({ student_id: student.id, user_id: student.user_id })
    expect(await s.database.db.select().from(students).where(eq(students.id, student.id))).toHaveLength(0)
    expect((await admin().get(path)).status).toBe(404)
    expect((await admin().delete(path)).status).toBe(404)
    expect(await s.emitted('student.deleted', (p) => p.student_id === student.id)).toHaveLength(1)
  })
})
