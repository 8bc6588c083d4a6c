import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { waitFor } from '../broker.ts'
import { linkToken } from '../smtp.ts'
import { client, startPlatform, type Platform } from './platform.ts'

let platform: Platform
let api: ReturnType<typeof client>
const email = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`
const count = async (query: ReturnType<typeof sql>) => ((await platform.database.db.execute(query)) as unknown as { n: number }[])[0]!.n

beforeAll(async () => {
  platform = await startPlatform('e2e')
  api = client(platform.gateway)
}, 60_000)
afterAll(() => platform.close(), 30_000)


describe('registration, end to end through the gateway', () => {
  test('register → the verification email; login refused until verified, as a wrong password is; verify → login → the profile, the welcome notification, the tracking; /me verified', async () => {
    const address = email('ana')
    const registered = await api.post('/auth/api/register', { email: address, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Diallo' })
    expect(registered.status).toBe(201)
    const userId = registered.body.id
    await waitFor(() => platform.smtp.to(address).length === 1, 10_000, 'the verification email')
    const [mail] = platform.smtp.to(address)
    expect(mail!.text).toContain('https://medtrack.example.org/verify?token=')
    const early = await api.post('/auth/api/login', { email: address, password: 'correct horse 42' })
    const wrong = await api.post('/auth/api/login', { email: address, password: 'wrong password 1' })
    expect([early.status, wrong.status]).toEqual([401, 401])
    expect(early.body).toEqual(wrong.body)
    expect(early.body.message).toContain('not verified yet')
    expect((await api.post('/auth/api/verify', { token: linkToken(mail!) })).status).toBe(200)
    const login = await api.post('/auth/api/login', { email: address, password: 'correct horse 42' })
    expect(login.status).toBe(200)
    const token = login.body.access_token
    const admin = await platform.admin()

    await waitFor(async () => (await api.get('/profile/api/students/me', token)).status === 200, 10_000, 'the student profile')
    const student: { id: string } = (await api.get('/profile/api/students/me', token)).body
    expect(student).toMatchObject({ user_id: userId, email: address, first_name: 'Ana', last_name: 'Diallo' })
    expect((await api.get(`/profile/api/students/${student.id}`, admin.token)).status).toBe(200)

    await waitFor(async () => (await api.get('/comm/api/notifications', token)).body?.items?.length === 1, 10_000, 'the welcome notification')
    const [welcome] = (await api.get('/comm/api/notifications', token)).body.items
    expect(welcome).toMatchObject({ user_id: userId, type: 'welcome', read: false })

    await waitFor(async () => (await api.get(`/core/api/tracking/${student.id}`, token)).status === 200, 10_000, 'the tracking')
    expect((await api.get(`/core/api/tracking/${student.id}`, token)).body).toMatchObject({ student_id: student.id, status: 'not_started' })

    expect((await api.get('/auth/api/me', token)).body.verified).toBe(true)

    // A new password retires the old token on every service behind the gateway, within SESSION_CACHE_MS.
    expect((await api.post('/auth/api/password', { current_password: 'correct horse 42', new_password: 'new secret 77' }, token)).status).toBe(200)
    expect((await api.get('/auth/api/me', token)).status).toBe(401)
    await waitFor(async () => (await api.get('/profile/api/students/me', token)).status === 401, 3_000, 'the old token refused by profile')
    expect((await api.get('/comm/api/notifications', token)).status).toBe(401)
    const fresh = (await api.post('/auth/api/login', { email: address, password: 'new secret 77' })).body.access_token
    expect((await api.get('/profile/api/students/me', fresh)).status).toBe(200)
  }, 30_000)

  test('an admin creates a student → the account exists and the set-password email arrived; nothing is duplicated anywhere', async () => {
    const admin = await platform.admin()
    const address = email('admitted')
    const created = await api.post('/profile/api/students/', { email: address, first_name: 'Sara', last_name: 'Benali', cin: 'AB123456' }, admin.token)
    expect(created.status).toBe(201)
    const { id: studentId, user_id: userId } = created.body

    await waitFor(async () => (await api.get(`/auth/api/users/${userId}`, admin.token)).status === 200, 10_000, 'the account')
    expect((await api.get(`/auth/api/users/${userId}`, admin.token)).body).toMatchObject({ email: address, role: 'student', has_password: false })
    await waitFor(() => platform.smtp.to(address).length === 1, 10_000, 'the set-password email')
    expect(platform.smtp.to(address)[0]!.text).toContain('https://medtrack.example.org/set-password?token=')

    // Let the cascade settle (user.created travels back to profile, comm and core), then count.
    await waitFor(async () => (await count(sql`select count(*)::int as n from core.stage_tracking where student_id = ${studentId}`)) === 1, 10_000, 'the tracking')
    await Bun.sleep(1_000)
    expect(await count(sql`select count(*)::int as n from profile.students where lower(email) = lower(${address})`)).toBe(1)
    expect(await count(sql`select count(*)::int as n from auth.users where lower(email) = lower(${address})`)).toBe(1)
    expect(await count(sql`select count(*)::int as n from comm.notifications where user_id = ${userId}`)).toBe(1)
    expect(await count(sql`select count(*)::int as n from core.stage_tracking where student_id = ${studentId}`)).toBe(1)
    expect(platform.smtp.to(address)).toHaveLength(1)

    const set = await api.post('/auth/api/password/set', { token: linkToken(platform.smtp.to(address)[0]!), password: 'my own secret 7' })
    expect(set.status).toBe(200)
    expect((await api.post('/auth/api/login', { email: address, password: 'my own secret 7' })).status).toBe(200)
  }, 30_000)

  test("an unverified sign-up for an address, then an admin's student with it: the admin's wins, the sign-up (which cannot log in unverified) is gone, the set-password email arrives", async () => {
    const admin = await platform.admin()
    const address = email('victim')
    expect((await api.post('/auth/api/register', { email: address, password: 'squatter pass 1', role: 'student', first_name: 'Eve', last_name: 'Squat' })).status).toBe(201)
    expect((await api.post('/auth/api/login', { email: address, password: 'squatter pass 1' })).status).toBe(401)
    await waitFor(async () => (await count(sql`select count(*)::int as n from profile.students where lower(email) = lower(${address})`)) === 1, 10_000, "the sign-up's profile")

    const created = await api.post('/profile/api/students', { email: address, first_name: 'Victoria', last_name: 'Owner' }, admin.token)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ email: address, first_name: 'Victoria' })
    const { id: studentId, user_id: userId } = created.body

    await waitFor(() => platform.smtp.to(address).some((m) => m.text.includes('/set-password?token=')), 10_000, 'the set-password email')
    expect((await api.post('/auth/api/login', { email: address, password: 'squatter pass 1' })).status).toBe(401)

    const link = platform.smtp.to(address).find((m) => m.text.includes('/set-password?token='))!
    expect((await api.post('/auth/api/password/set', { token: linkToken(link), password: 'the owner 77' })).status).toBe(200)
    const owner = (await api.post('/auth/api/login', { email: address, password: 'the owner 77' })).body
    expect(owner.user.id).toBe(userId)
    expect((await api.get('/profile/api/students/me', owner.access_token)).body).toMatchObject({ id: studentId, first_name: 'Victoria' })
    await Bun.sleep(1_000)
    expect(await count(sql`select count(*)::int as n from profile.students where lower(email) = lower(${address})`)).toBe(1)
    expect(await count(sql`select count(*)::int as n from auth.users where lower(email) = lower(${address})`)).toBe(1)
  }, 30_000)

  test('a student cannot read or change another student\'s profile; no token → 401', async () => {
    const admin = await platform.admin()
    const a = (await api.post('/profile/api/students', { email: email('a') }, admin.token)).body
    const b = (await api.post('/profile/api/students', { email: email('b') }, admin.token)).body
    await waitFor(async () => (await api.get(`/auth/api/users/${a.user_id}`, admin.token)).status === 200, 10_000, 'the account made for a')
    const tokenA = await platform.token(a.user_id, 'student')
    expect((await api.get(`/profile/api/students/${a.id}`, tokenA)).status).toBe(200)
    expect((await api.get(`/profile/api/students/${b.id}`, tokenA)).status).toBe(403)
    expect((await api.patch(`/profile/api/students/${b.id}`, { phone: '+212600000000' }, tokenA)).status).toBe(403)
    expect((await api.get(`/profile/api/students/${b.id}`)).status).toBe(401)
    expect((await api.patch(`/profile/api/students/${a.id}`, { phone: '+212600000001' }, tokenA)).status).toBe(200)
    expect((await api.get(`/profile/api/students/${b.id}`, admin.token)).body.phone).toBeNull()
  }, 20_000)
})
