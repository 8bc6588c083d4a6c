import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { listDeadLetters } from '../../core/index.ts'
import { encadrants, profileOutbox } from '../../schemas/db/profile.ts'
import { problemPaths, startProfileService, uniqueEmail, type ProfileService } from './test-service.ts'

let s: ProfileService
let hospitalId: string
const admin = () => s.as('admin')

beforeAll(async () => {
  s = await startProfileService('encadrants')
  hospitalId = (await admin().post('/establishments', { name: 'CHU Ibn Sina', city: 'Rabat' })).body.id
})
afterAll(async () => {
  await s.close()
})

async function createEncadrant(fields: Record<string, unknown> = {}) {
  const res = await admin().post('/encadrants', { email: uniqueEmail('encadrant'), ...fields })
  expect(res.status).toBe(201)
  return res.body
}

describe('/encadrants', () => {
  test('an admin creates an encadrant: 201, the row, and encadrant.created on the bus', async () => {
    const email = uniqueEmail('house')
    const res = await admin().post('/encadrants', { email, first_name: 'Gregory', last_name: 'House', speciality: 'diagnostics', establishment_id: hospitalId })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ email, first_name: 'Gregory', last_name: 'House', speciality: 'diagnostics', establishment_id: hospitalId, phone: null })
    const [row] = await s.database.db.select().from(encadrants).where(eq(encadrants.id, res.body.id))
    expect(row).toMatchObject({ userId: res.body.user_id, email, establishmentId: hospitalId })
    const event = await s.waitForEvent('encadrant.created', (p) => p.encadrant_id === res.body.id)
    expect(event.payload).toEqual({ encadrant_id: res.body.id, user_id: res.body.user_id, email, first_name: 'Gregory', last_name: 'House', establishment_id: hospitalId })
  })

  test('creating: non-admins → 403, no token → 401, bad body → 422 with paths, unknown establishment → 422, a taken email → 409', async () => {
    const email = uniqueEmail('who')
    expect((await s.as('encadrant').post('/encadrants', { email })).status).toBe(403)
    expect((await s.as('student').post('/encadrants', { email })).status).toBe(403)
    expect((await s.anonymous.post('/encadrants', { email })).status).toBe(401)
    const bad = await admin().post('/encadrants', { email: 'x', establishment_id: 'nope', speciality: '' })
    expect(bad.status).toBe(422)
    expect(problemPaths(bad)).toEqual(expect.arrayContaining(['/email', '/establishment_id', '/speciality']))
    const unknown = await admin().post('/encadrants', { email, establishment_id: crypto.randomUUID() })
    expect(unknown.status).toBe(422)
    expect(problemPaths(unknown)).toEqual(['/establishment_id'])
    expect(await s.database.db.select().from(encadrants).where(eq(encadrants.email, email))).toHaveLength(0)

    const taken = await createEncadrant()
    expect((await admin().post('/encadrants', { email: taken.email.toUpperCase() })).status).toBe(409)
    // One profile per person: a student's email cannot also be an encadrant's, either way round.
    const student = (await admin().post('/students', { email: uniqueEmail('student') })).body
    expect((await admin().post('/encadrants', { email: student.email })).status).toBe(409)
    expect((await admin().post('/students', { email: taken.email })).status).toBe(409)
  })

  test('listing, paged and newest first: admins only', async () => {
    const made = [await createEncadrant(), await createEncadrant()]
    const total = (await s.database.db.select().from(encadrants)).length
    const res = await admin().get('/encadrants?per_page=1&page=2')
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ items: [made[0]], page: 2, per_page: 1, total })
    expect((await admin().get('/encadrants?per_page=1')).body.items).toEqual([made[1]])
    expect((await s.as('encadrant', made[0].user_id).get('/encadrants')).status).toBe(403)
    expect((await s.as('student').get('/encadrants')).status).toBe(403)
    expect((await s.anonymous.get('/encadrants')).status).toBe(401)
  })

  test('reading one: admins and the encadrant themself; another encadrant or a student → 403; unknown 404; /encadrants/me', async () => {
    const encadrant = await createEncadrant({ speciality: 'surgery' })
    const path = `/encadrants/${encadrant.id}`
    expect(await admin().get(path)).toEqual({ status: 200, body: encadrant })
    expect(await s.as('encadrant', encadrant.user_id).get(path)).toEqual({ status: 200, body: encadrant })
    expect((await s.as('encadrant').get(path)).status).toBe(403)
    expect((await s.as('student').get(path)).status).toBe(403)
    expect((await s.anonymous.get(path)).status).toBe(401)
    expect((await admin().get(`/encadrants/${crypto.randomUUID()}`)).status).toBe(404)
    expect(await s.as('encadrant', encadrant.user_id).get('/encadrants/me')).toEqual({ status: 200, body: encadrant })
    expect((await s.as('encadrant').get('/encadrants/me')).status).toBe(404)
    expect((await s.as('student').get('/encadrants/me')).status).toBe(403)
  })

  test('updating: the encadrant themself and admins; encadrant.updated names what changed; nothing changed → no event; others → 403', async () => {
    const encadrant = await createEncadrant({ speciality: 'cardiology' })
    const path = `/encadrants/${encadrant.id}`
    const self = s.as('encadrant', encadrant.user_id)

    const res = await self.patch(path, { speciality: 'cardiology', phone: '+212600000010', email: 'ignored@example.org' })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ email: encadrant.email, speciality: 'cardiology', phone: '+212600000010', establishment_id: null })
    const event = await s.waitForEvent('encadrant.updated', (p) => p.encadrant_id === encadrant.id)
    expect(event.payload).toEqual({ encadrant_id: encadrant.id, updated_fields: ['phone'], user_id: encadrant.user_id, establishment_id: null })
    expect(await self.patch(path, { phone: '+212600000010' })).toEqual({ status: 200, body: res.body })

    expect((await admin().patch(path, { first_name: 'Meredith', establishment_id: hospitalId })).body).toMatchObject({ first_name: 'Meredith', establishment_id: hospitalId })
    expect((await s.emitted('encadrant.updated', (p) => p.encadrant_id === encadrant.id)).map((e) => e.payload.updated_fields)).toEqual([['phone'], ['first_name', 'establishment_id']])

    expect((await s.as('encadrant').patch(path, { phone: '+1' })).status).toBe(403)
    expect((await s.as('student').patch(path, { phone: '+1' })).status).toBe(403)
    expect((await s.anonymous.patch(path, { phone: '+1' })).status).toBe(401)
    expect((await admin().patch(`/encadrants/${crypto.randomUUID()}`, { phone: '+1' })).status).toBe(404)
    const bad = await self.patch(path, { phone: '', establishment_id: 'x' })
    expect(bad.status).toBe(422)
    expect(problemPaths(bad)).toEqual(expect.arrayContaining(['/phone', '/establishment_id']))
    const unknown = await admin().patch(path, { establishment_id: crypto.randomUUID() })
    expect(unknown.status).toBe(422)
    expect(problemPaths(unknown)).toEqual(['/establishment_id'])
    expect((await admin().get(path)).body).toMatchObject({ phone: '+212600000010', establishment_id: hospitalId, first_name: 'Meredith' })
    expect(await s.emitted('encadrant.updated', (p) => p.encadrant_id === encadrant.id)).toHaveLength(2)

    // null clears an optional field.
    const cleared = await self.patch(path, { speciality: null, phone: null })
    expect(cleared.status).toBe(200)
    expect(cleared.body).toMatchObject({ speciality: null, phone: null, first_name: 'Meredith' })
  })

  test('a user id that already has a profile, with a new email: 409 naming /user_id, not /email; a taken email names /email', async () => {
    const taken = await createEncadrant()
    const byUser = await admin().post('/encadrants', { email: uniqueEmail('fresh'), user_id: taken.user_id })
    expect(byUser.status).toBe(409)
    expect(byUser.body.problems).toEqual([{ path: '/user_id', message: 'already has a profile' }])
    const student = (await admin().post('/students', { email: uniqueEmail('student') })).body
    expect(problemPaths(await admin().post('/encadrants', { email: uniqueEmail('fresh'), user_id: student.user_id }))).toEqual(['/user_id'])
    const byEmail = await admin().post('/encadrants', { email: taken.email, user_id: crypto.randomUUID() })
    expect(byEmail.status).toBe(409)
    expect(byEmail.body.problems).toEqual([{ path: '/email', message: 'already registered' }])
    expect(problemPaths(await admin().post('/encadrants', { email: taken.email, user_id: student.user_id }))).toEqual(['/email', '/user_id'])
  })

  test('only an admin attaches an encadrant to an establishment: the encadrant themself naming establishment_id (another, null, even the same) → 403 naming the field, nothing changed', async () => {
    const other = (await admin().post('/establishments', { name: 'Clinique Atlas', city: 'Agadir' })).body
    const encadrant = await createEncadrant({ establishment_id: hospitalId })
    const path = `/encadrants/${encadrant.id}`
    const self = s.as('encadrant', encadrant.user_id)
    for (const establishment_id of [other.id, null, hospitalId]) {
      const res = await self.patch(path, { phone: '+212600000099', establishment_id })
      expect(res).toEqual({
        status: 403,
        body: { error: 'FORBIDDEN', message: 'only an admin may change establishment_id', problems: [{ path: '/establishment_id', message: 'only an admin may change it' }] },
      })
    }
    // Registered as an encadrant, with no establishment: still not theirs to choose.
    const newcomer = await createEncadrant()
    expect((await s.as('encadrant', newcomer.user_id).patch(`/encadrants/${newcomer.id}`, { establishment_id: other.id })).status).toBe(403)
    expect((await admin().get(`/encadrants/${newcomer.id}`)).body.establishment_id).toBeNull()
    expect((await admin().get(path)).body).toMatchObject({ establishment_id: hospitalId, phone: null })
    expect(await s.emitted('encadrant.updated', (p) => p.encadrant_id === encadrant.id || p.encadrant_id === newcomer.id)).toHaveLength(0)
    expect((await self.patch(path, { phone: '+212600000099' })).body).toMatchObject({ phone: '+212600000099', establishment_id: hospitalId })
  })

  test('detaching: establishment_id null (by an admin) → 200 with null, encadrant.updated names it, a later GET shows it; the establishment can then be deleted', async () => {
    const est = (await admin().post('/establishments', { name: 'CHU Mohammed VI', city: 'Marrakech' })).body
    const encadrant = await createEncadrant({ establishment_id: est.id })
    const path = `/encadrants/${encadrant.id}`
    const res = await admin().patch(path, { establishment_id: null })
    expect(res.status).toBe(200)
    expect(res.body.establishment_id).toBeNull()
    expect((await admin().get(path)).body.establishment_id).toBeNull()
    const event = await s.waitForEvent('encadrant.updated', (p) => p.encadrant_id === encadrant.id)
    expect(event.payload).toEqual({ encadrant_id: encadrant.id, updated_fields: ['establishment_id'], user_id: encadrant.user_id, establishment_id: null })
    // Detached already: nothing changes, nothing is emitted.
    expect(await admin().patch(path, { establishment_id: null })).toEqual({ status: 200, body: res.body })
    expect(await s.emitted('encadrant.updated', (p) => p.encadrant_id === encadrant.id)).toHaveLength(1)
    expect(await admin().delete(`/establishments/${est.id}`)).toEqual({ status: 200, body: { id: est.id, deleted: true } })
  })

  test('an establishment deleted while an encadrant is given it (PATCH or POST, both at once, 20 times): exactly one wins, the other is refused, and no encadrant points at a deleted establishment', async () => {
    for (let n = 0; n < 20; n++) {
      const est = (await admin().post('/establishments', { name: `Clinique ${n}`, city: 'Tanger' })).body
      const byPatch = n % 2 === 0
      const existing = byPatch ? await createEncadrant() : undefined
      const [given, deleted] = await Promise.all([
        byPatch ? admin().patch(`/encadrants/${existing!.id}`, { establishment_id: est.id }) : admin().post('/encadrants', { email: uniqueEmail('race'), establishment_id: est.id }),
        admin().delete(`/establishments/${est.id}`),
      ])
      const won = byPatch ? 200 : 201
      expect([`${won} 409`, '422 200']).toContain(`${given.status} ${deleted.status}`)
      if (given.status === won) {
        expect(deleted.body.message).toContain('move them first')
        expect((await admin().get(`/establishments/${est.id}`)).status).toBe(200)
        expect((await admin().get(`/encadrants/${given.body.id}`)).body.establishment_id).toBe(est.id)
      } else {
        expect(given.body.problems).toEqual([{ path: '/establishment_id', message: 'no establishment with this id' }])
        expect((await admin().get(`/establishments/${est.id}`)).status).toBe(404)
        if (existing) expect((await admin().get(`/encadrants/${existing.id}`)).body.establishment_id).toBeNull()
      }
    }
    const dangling = await s.database.db.execute(
      `select e.id from profile.encadrants e where e.establishment_id is not null and not exists (select 1 from profile.establishments x where x.id = e.establishment_id)`,
    )
    expect(dangling).toHaveLength(0)
    expect(await listDeadLetters({ connection: s.connection, service: 'profile', namespace: s.namespace })).toEqual([])
  })

  test('deleting: admins only; 200 {deleted: true}, no event (the catalogue has none); then 404', async () => {
    const encadrant = await createEncadrant()
    const path = `/encadrants/${encadrant.id}`
    expect((await s.as('encadrant', encadrant.user_id).delete(path)).status).toBe(403)
    expect((await s.as('student').delete(path)).status).toBe(403)
    expect((await s.anonymous.delete(path)).status).toBe(401)
    const outboxBefore = (await s.database.db.select().from(profileOutbox)).length
    expect(await admin().delete(path)).toEqual({ status: 200, body: { id: encadrant.id, deleted: true } })
    expect((await s.database.db.select().from(profileOutbox)).length).toBe(outboxBefore)
    expect((await admin().get(path)).status).toBe(404)
    expect((await admin().delete(path)).status).toBe(404)
  })
})
