import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { establishments, profileOutbox } from '../../schemas/db/profile.ts'
import { problemPaths, startProfileService, uniqueEmail, type ProfileService } from './test-service.ts'

let s: ProfileService
const admin = () => s.as('admin')

beforeAll(async () => {
  s = await startProfileService('establishments')
})
afterAll(async () => {
  await s.close()
})

async function createEstablishment(fields: Record<string, unknown> = {}) {
  const res = await admin().post('/establishments', { name: `Hospital ${crypto.randomUUID().slice(0, 6)}`, city: 'Rabat', ...fields })
  expect(res.status).toBe(201)
  return res.body
}

const outboxSize = async () => (await s.database.db.select().from(profileOutbox)).length

describe('/establishments', () => {
  test('an admin creates an establishment: 201, the row, and establishment.created on the bus', async () => {
    const res = await admin().post('/establishments', { name: 'CHU Hassan II', city: 'Fès', address: 'Route Sidi Harazem', phone: '+212535000000' })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ name: 'CHU Hassan II', city: 'Fès', address: 'Route Sidi Harazem', phone: '+212535000000' })
    const [row] = await s.database.db.select().from(establishments).where(eq(establishments.id, res.body.id))
    expect(row).toMatchObject({ name: 'CHU Hassan II', city: 'Fès' })
    const event = await s.waitForEvent('establishment.created', (p) => p.establishment_id === res.body.id)
    expect(event.payload).toEqual({ establishment_id: res.body.id, name: 'CHU Hassan II', city: 'Fès' })
  })

  test('creating: non-admins → 403, no token → 401, a bad body → 422 with paths', async () => {
    const body = { name: 'Clinique', city: 'Tanger' }
    expect((await s.as('student').post('/establishments', body)).status).toBe(403)
    expect((await s.as('encadrant').post('/establishments', body)).status).toBe(403)
    expect((await s.anonymous.post('/establishments', body)).status).toBe(401)
    const bad = await admin().post('/establishments', { name: '', phone: 12 })
    expect(bad.status).toBe(422)
    expect(problemPaths(bad)).toEqual(expect.arrayContaining(['/name', '/city', '/phone']))
    expect(await s.database.db.select().from(establishments).where(eq(establishments.city, 'Tanger'))).toHaveLength(0)
  })

  test('listing, paged, by name: every signed-in role; no token → 401', async () => {
    const city = `City-${crypto.randomUUID().slice(0, 6)}`
    const [b, a] = [await createEstablishment({ name: 'ZZ Bravo', city }), await createEstablishment({ name: 'ZZ Alpha', city })]
    const total = (await s.database.db.select().from(establishments)).length
    for (const role of ['admin', 'encadrant', 'student'] as const) {
      const res = await s.as(role).get(`/establishments?per_page=100`)
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ page: 1, per_page: 100, total })
      expect(res.body.items.slice(-2)).toEqual([a, b])
    }
    const last = await s.as('student').get(`/establishments?per_page=1&page=${total}`)
    expect(last.body.items).toEqual([b])
    expect((await s.anonymous.get('/establishments')).status).toBe(401)
    expect(problemPaths(await s.as('student').get('/establishments?per_page=abc'))).toEqual(['/query/per_page'])
  })

  test('reading one: every signed-in role; unknown → 404; no token → 401', async () => {
    const est = await createEstablishment()
    for (const role of ['admin', 'encadrant', 'student'] as const) expect(await s.as(role).get(`/establishments/${est.id}`)).toEqual({ status: 200, body: est })
    expect((await s.as('student').get(`/establishments/${crypto.randomUUID()}`)).status).toBe(404)
    expect((await s.anonymous.get(`/establishments/${est.id}`)).status).toBe(401)
  })

  test('updating: admins only, a partial body, no event (the catalogue has none)', async () => {
    const est = await createEstablishment({ address: 'Old road' })
    const path = `/establishments/${est.id}`
    const before = await outboxSize()
    const res = await admin().patch(path, { address: 'New road', city: est.city, beds: 400 })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: est.id, name: est.name, city: est.city, address: 'New road' })
    expect(await outboxSize()).toBe(before)
    expect((await s.as('student').get(path)).body).toEqual(res.body)

    expect((await s.as('encadrant').patch(path, { name: 'Mine' })).status).toBe(403)
    expect((await s.as('student').patch(path, { name: 'Mine' })).status).toBe(403)
    expect((await s.anonymous.patch(path, { name: 'Mine' })).status).toBe(401)
    expect((await admin().patch(`/establishments/${crypto.randomUUID()}`, { name: 'X' })).status).toBe(404)
    expect(problemPaths(await admin().patch(path, { name: '' }))).toEqual(['/name'])
    // The address and phone may be cleared; the name and city, which an establishment needs, may not.
    expect((await admin().patch(path, { address: null })).body).toMatchObject({ address: null, name: est.name })
    expect(problemPaths(await admin().patch(path, { name: null, city: null }))).toEqual(['/name', '/city'])
  })

  test('deleting: admins only; 409 while encadrants belong to it; 200 {deleted: true}; then 404', async () => {
    const est = await createEstablishment()
    const path = `/establishments/${est.id}`
    expect((await s.as('encadrant').delete(path)).status).toBe(403)
    expect((await s.as('student').delete(path)).status).toBe(403)
    expect((await s.anonymous.delete(path)).status).toBe(401)

    const encadrant = (await admin().post('/encadrants', { email: uniqueEmail('member'), establishment_id: est.id })).body
    expect((await admin().delete(path)).status).toBe(409)
    expect((await admin().get(path)).status).toBe(200)
    expect((await admin().delete(`/encadrants/${encadrant.id}`)).status).toBe(200)

    expect(await admin().delete(path)).toEqual({ status: 200, body: { id: est.id, deleted: true } })
    expect((await admin().get(path)).status).toBe(404)
    expect((await admin().delete(path)).status).toBe(404)
  })
})
