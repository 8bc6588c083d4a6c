import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { count, inArray, sql } from 'drizzle-orm'
import { students } from '../../schemas/db/profile.ts'
import { waitFor } from '../broker.ts'
import { client, startPlatform, verifyAddress, type Platform } from './platform.ts'

let platform: Platform
let api: ReturnType<typeof client>
const email = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`

beforeAll(async () => {
  platform = await startPlatform('e2e-down')
  api = client(platform.gateway)
}, 60_000)
afterAll(() => platform.close(), 30_000)

const register = (address: string) => api.post('/auth/api/register', { email: address, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Diallo' })

describe('a service down', () => {
  test('the comm worker stopped while 20 students register, then started: 20 welcome notifications, not 19, not 40', async () => {
    expect(await platform.stop('comm-worker')).toBe(0)
    const addresses = Array.from({ length: 20 }, (_, i) => email(`batch${i}`))
    const results = await Promise.all(addresses.map(register))
    expect(results.map((r) => r.status)).toEqual(addresses.map(() => 201))
    const userIds = results.map((r) => r.body.id as string)

    // Everything else went on: the profiles exist, the notifications do not yet.
    const profiles = async () => (await platform.database.db.select({ n: count() }).from(students).where(inArray(students.userId, userIds)))[0]!.n
    await waitFor(async () => (await profiles()) === 20, 15_000, '20 profiles')
    const before = (await platform.database.db.execute(sql`select count(*)::int as n from comm.notifications`)) as unknown as { n: number }[]
    expect(before[0]!.n).toBe(0)

    await platform.start('comm-worker')
    const welcomes = async () => (await platform.database.db.execute(sql`select user_id from comm.notifications where type = 'welcome'`)) as unknown as { user_id: string }[]
    await waitFor(async () => (await welcomes()).length >= 20, 15_000, '20 welcome notifications')
    await Bun.sleep(1_000)
    const rows = await welcomes()
    expect(rows).toHaveLength(20)
    expect(rows.map((r) => r.user_id).sort()).toEqual([...userIds].sort())

    await verifyAddress(api, platform.smtp, addresses[7]!)
    const login = await api.post('/auth/api/login', { email: addresses[7], password: 'correct horse 42' })
    const mine = await api.get('/comm/api/notifications', login.body.access_token)
    expect(mine.body.items).toHaveLength(1)
  }, 60_000)

  test('SMTP down when a user registers: the email goes out once SMTP is back', async () => {
    await platform.smtp.stop()
    const address = email('patient')
    expect((await register(address)).status).toBe(201)
    await Bun.sleep(1_500)
    expect(platform.smtp.to(address)).toHaveLength(0)
    await platform.smtp.start()
    await waitFor(() => platform.smtp.to(address).length === 1, 20_000, 'the email after SMTP came back')
    expect(platform.smtp.to(address)[0]!.subject).toContain('Confirm your MedTrack email')
  }, 40_000)
})
