import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { authApi } from '../../api/auth/app.ts'
import { parseConfig } from '../../core/index.ts'
import { loginFailures, refreshTokens, sessions, users, userTokens } from '../../schemas/db/auth.ts'
import type { catalogue } from '../../schemas/events/index.ts'
import type { EventPublisher } from '../../core/index.ts'
import { waitFor } from '../../test/broker.ts'
import { post, startService, type Service } from '../../test/service.ts'
import { linkToken, startSmtpSink } from '../../test/smtp.ts'
import { AuthSettings } from './settings.ts'
import { authWorker } from './worker.ts'

let s: Service
let smtp: Awaited<ReturnType<typeof startSmtpSink>>
let events: Awaited<ReturnType<Service['tap']>>
let profile: EventPublisher<typeof catalogue>

const email = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`
const call = (path: string, body: unknown) => post(s.url(`/auth/api${path}`), body)
const account = async (id: string) => (await s.database.db.select().from(users).where(eq(users.id, id)))[0]
const deleted = (id: string) => events.messages.some((m) => m.routingKey === 'user.deleted' && (m.body as { payload: { user_id: string } }).payload.user_id === id)

async function signUp(address: string) {
  const res = await call('/register', { email: address, password: 'squatter pass 1', role: 'student', first_name: 'Eve', last_name: 'Squat' })
  expect(res.status).toBe(201)
  return (await res.json()).id as string
}

/** Makes the account's verification link one that expired a minute ago. */
const expireLink = (userId: string) =>
  s.database.db.update(userTokens).set({ expiresAt: new Date(Date.now() - 60_000) }).where(eq(userTokens.userId, userId))

beforeAll(async () => {
  smtp = await startSmtpSink()
  const settings = parseConfig(AuthSettings, { SMTP_URL: smtp.url, PUBLIC_URL: 'https://medtrack.example.org', EMAIL_POLL_MS: '50', ACCOUNT_SWEEP_MS: '200' })
  s = await startService({ label: 'authsignups', api: authApi, worker: authWorker(settings) })
  events = await s.tap('user.*')
  profile = s.publisher('profile')
})

afterAll(async () => {
  await s.close()
  await smtp.stop()
})

describe('an address is not taken by signing up with it', () => {
  test('an unverified sign-up past its link\'s life is removed (user.deleted); a verified one, or one whose link still lasts, stays', async () => {
    const [lapsed, verified, fresh] = [email('lapsed'), email('verified'), email('fresh')]
    const lapsedId = await signUp(lapsed)
    const verifiedId = await signUp(verified)
    const freshId = await signUp(fresh)
    await waitFor(() => smtp.to(verified).length === 1, 10_000, 'the verification email')
    expect((await call('/verify', { token: linkToken(smtp.to(verified)[0]!) })).status).toBe(200)
    await expireLink(lapsedId)
    await expireLink(verifiedId)

    await waitFor(() => deleted(lapsedId), 10_000, 'user.deleted of the lapsed sign-up')
    expect(await account(lapsedId)).toBeUndefined()
    expect((await call('/login', { email: lapsed, password: 'squatter pass 1' })).status).toBe(401)
    await Bun.sleep(500)
    expect(await account(verifiedId)).toBeDefined()
    expect(await account(freshId)).toBeDefined()
    expect(deleted(verifiedId) || deleted(freshId)).toBe(false)
    // The address is free again: its owner signs up with it.
    expect(await account(await signUp(lapsed))).toMatchObject({ email: lapsed })
  }, 30_000)

  test("a student an admin made for an address an unverified sign-up holds takes it over: the sign-up, which could not log in unverified, is gone, the set-password email goes out; a verified one is left alone", async () => {
    const address = email('victim')
    const squatterId = await signUp(address)
    // An address nobody verified does not log in: the squatter gets no session, only the 401 of a wrong password.
    expect((await call('/login', { email: address, password: 'squatter pass 1' })).status).toBe(401)
    const userId = crypto.randomUUID()
    await profile.publish('student.created', { student_id: crypto.randomUUID(), user_id: userId, email: address, first_name: 'Vic' })

    await waitFor(async () => (await account(userId)) !== undefined, 10_000, "the admin's account")
    expect(await account(squatterId)).toBeUndefined()
    await waitFor(() => deleted(squatterId), 5_000, "user.deleted of the sign-up")
    expect((await call('/login', { email: address, password: 'squatter pass 1' })).status).toBe(401)
    await waitFor(() => smtp.to(address).some((m) => m.text.includes('/set-password?token=')), 10_000, 'the set-password email')
    const link = smtp.to(address).find((m) => m.text.includes('/set-password?token='))!
    expect((await call('/password/set', { token: linkToken(link), password: 'the owner 77' })).status).toBe(200)
    expect((await call('/login', { email: address, password: 'the owner 77' })).status).toBe(200)

    const owned = email('owned')
    const ownerId = await signUp(owned)
    await waitFor(() => smtp.to(owned).length === 1, 10_000, 'the verification email')
    expect((await call('/verify', { token: linkToken(smtp.to(owned)[0]!) })).status).toBe(200)
    const other = crypto.randomUUID()
    const handled = await s.handled('student.created')
    await profile.publish('student.created', { student_id: crypto.randomUUID(), user_id: other, email: owned })
    await waitFor(async () => (await s.handled('student.created')) > handled, 10_000, 'student.created handled')
    expect(await account(ownerId)).toBeDefined()
    expect(await account(other)).toBeUndefined()
    expect((await account(ownerId))!.passwordHash).not.toBeNull()
  }, 30_000)
})

describe('the account sweep', () => {
  test('it forgets what is long over: sessions ended a day ago, refresh tokens expired a day ago, failed logins an hour after the last; what lasts stays', async () => {
    const db = s.database.db
    const longAgo = new Date(Date.now() - 2 * 86_400_000)
    const [ended, open] = [crypto.randomUUID(), crypto.randomUUID()]
    await db.insert(sessions).values([
      { id: ended, userId: crypto.randomUUID(), createdAt: longAgo, endedAt: longAgo, endReason: 'logout' },
      { id: open, userId: crypto.randomUUID(), createdAt: longAgo },
    ])
    const [stale, live] = [crypto.randomUUID().replace(/-/g, '').repeat(2), crypto.randomUUID().replace(/-/g, '').repeat(2)]
    await db.insert(refreshTokens).values([
      { tokenHash: stale, sessionId: open, expiresAt: longAgo },
      { tokenHash: live, sessionId: open, expiresAt: new Date(Date.now() + 86_400_000) },
    ])
    await db.insert(loginFailures).values([
      { key: 'address:192.0.2.200', failures: 7, windowStartedAt: longAgo, lastFailureAt: longAgo, blockedUntil: longAgo },
      { key: 'address:192.0.2.201', failures: 7, windowStartedAt: new Date(), lastFailureAt: new Date(), blockedUntil: new Date(Date.now() + 60_000) },
    ])
    await waitFor(async () => (await db.select().from(sessions).where(eq(sessions.id, ended))).length === 0, 10_000, 'the ended session forgotten')
    await waitFor(async () => (await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, stale))).length === 0, 10_000, 'the expired token forgotten')
    expect((await db.select().from(loginFailures)).map((r) => r.key).filter((k) => k.startsWith('address:192.0.2.'))).toEqual(['address:192.0.2.201'])
    expect(await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.id, open))).toEqual([{ id: open }])
    expect((await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, live))).length).toBe(1)
  }, 30_000)
})
