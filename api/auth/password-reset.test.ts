import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { parseConfig, silentLogger } from '../../core/index.ts'
import { users } from '../../schemas/db/auth.ts'
import { apiSettingsSchema } from '../kit/config.ts'
import { startApi } from '../kit/start.ts'
import { waitFor } from '../../test/broker.ts'
import { bearer, post, startService, TEST_JWT_SECRET, type Service } from '../../test/service.ts'
import { linkToken, mailedToken, startSmtpSink, type ReceivedMail } from '../../test/smtp.ts'
import { queueTokenEmail } from '../../workers/auth/mail.ts'
import { AuthSettings } from '../../workers/auth/settings.ts'
import { RESET_PASSWORD } from '../../workers/auth/tokens.ts'
import { authWorker } from '../../workers/auth/worker.ts'
import { authApi } from './app.ts'

let s: Service
let smtp: Awaited<ReturnType<typeof startSmtpSink>>
let events: Awaited<ReturnType<Service['tap']>>
let settings: AuthSettings

const email = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`
const call = (path: string, body: unknown, headers: Record<string, string> = {}) => post(s.url(`/auth/api${path}`), body, headers)
/** Follows the link of the verification email to `address`, as its owner does before logging in. */
const verify = async (address: string) => expect((await call('/verify', { token: await mailedToken(smtp, address) })).status).toBe(200)
const resetMails = (address: string) => smtp.to(address).filter((m) => m.text.includes('/reset-password?token='))
/** A verified account, signed in. */
async function signedUp(label: string) {
  const address = email(label)
  expect((await call('/register', { email: address, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Diallo' })).status).toBe(201)
  await verify(address)
  const [user] = await s.database.db.select().from(users).where(eq(users.email, address))
  const signedIn = await (await call('/login', { email: address, password: 'correct horse 42' })).json()
  return { address, user: user!, accessToken: signedIn.access_token as string }
}
/** Another reset link mailed to the account, as one asked for earlier was; resolves with its email once it arrived. */
async function anotherResetLink(user: { id: string; email: string; firstName: string }): Promise<ReceivedMail> {
  const mailed = resetMails(user.email).length
  await s.database.db.transaction((tx) => queueTokenEmail(tx, settings, user, RESET_PASSWORD))
  await waitFor(() => resetMails(user.email).length === mailed + 1, 10_000, 'the other reset email')
  return resetMails(user.email).at(-1)!
}
const me = (token: string) => fetch(s.url('/auth/api/me'), { headers: bearer(token) })

beforeAll(async () => {
  smtp = await startSmtpSink()
  settings = parseConfig(AuthSettings, { SMTP_URL: smtp.url, PUBLIC_URL: 'https://medtrack.example.org', EMAIL_POLL_MS: '50' })
  s = await startService({ label: 'authreset', api: authApi, worker: authWorker(settings) })
  events = await s.tap('user.*')
})

afterAll(async () => {
  await s.close()
  await smtp.stop()
})

describe('a forgotten password', () => {
  test('asked for a known and an unknown address: the same answer; the known one gets a link that works once, then 422; every session ends; user.password_changed', async () => {
    const address = email('forgot')
    const registered = await call('/register', { email: address, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Diallo' })
    const { id: userId } = await registered.json()
    await verify(address)
    const signedIn = await (await call('/login', { email: address, password: 'correct horse 42' })).json()
    const unknown = email('nobody')

    const answers = await Promise.all([call('/password/forgot', { email: address.toUpperCase() }), call('/password/forgot', { email: unknown })])
    const seen = await Promise.all(answers.map(async (r) => ({ status: r.status, location: r.headers.get('location'), body: await r.text() })))
    expect(seen[0]).toEqual({ status: 202, location: null, body: JSON.stringify({ status: 'accepted', message: 'if an account has this address, an email with a link to choose a new password is on its way' }) })
    expect(seen[1]).toEqual(seen[0]!)

    await waitFor(() => smtp.to(address).some((m) => m.subject.includes('choose a new one')), 10_000, 'the reset email')
    const mail = smtp.to(address).find((m) => m.subject.includes('choose a new one'))!
    expect(mail.text).toContain('https://medtrack.example.org/reset-password?token=')
    expect(mail.text).toContain('valid for 1 hour')
    await Bun.sleep(300)
    expect(smtp.to(unknown)).toHaveLength(0)

    expect((await call('/password/reset', { token: linkToken(mail), password: 'weak' })).status).toBe(422)
    const reset = await call('/password/reset', { token: linkToken(mail), password: 'my new secret 8' })
    expect(reset.status).toBe(200)
    expect(await reset.json()).toMatchObject({ id: userId, verified: true })
    const again = await call('/password/reset', { token: linkToken(mail), password: 'my other secret 9' })
    expect(again.status).toBe(422)
    expect((await again.json()).problems).toEqual([{ path: '/token', message: 'is invalid, expired or already used' }])

    expect((await me(signedIn.access_token)).status).toBe(401)
    expect((await call('/refresh', { refresh_token: signedIn.refresh_token })).status).toBe(401)
    expect((await call('/login', { email: address, password: 'correct horse 42' })).status).toBe(401)
    expect((await call('/login', { email: address, password: 'my new secret 8' })).status).toBe(200)
    await waitFor(() => events.messages.some((m) => m.routingKey === 'user.password_changed' && (m.body as { payload: { user_id: string } }).payload.user_id === userId), 5_000, 'user.password_changed')
    for (const m of events.messages) expect(JSON.stringify(m.body)).not.toContain(linkToken(mail))
  }, 30_000)

  test('a reset link is for resetting only: a set-password or verification token is refused at /token; asked twice in a minute, one email', async () => {
    const address = email('twice')
    await call('/register', { email: address, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Diallo' })
    await waitFor(() => smtp.to(address).length === 1, 10_000, 'the verification email')
    const verification = await call('/password/reset', { token: linkToken(smtp.to(address)[0]!), password: 'my new secret 8' })
    expect(verification.status).toBe(422)
    expect((await verification.json()).problems[0].path).toBe('/token')

    expect((await call('/password/forgot', { email: address })).status).toBe(202)
    expect((await call('/password/forgot', { email: address })).status).toBe(202)
    await waitFor(() => smtp.to(address).length === 2, 10_000, 'the reset email')
    await Bun.sleep(500)
    expect(smtp.to(address)).toHaveLength(2)
    const bad = await call('/password/forgot', { email: 'not an address' })
    expect(bad.status).toBe(422)
    expect((await bad.json()).problems[0].path).toBe('/email')
  }, 30_000)

  test('a new password, by a reset or a change, spends every reset link mailed before: an older one is refused at /token', async () => {
    const ana = await signedUp('older')
    expect((await call('/password/forgot', { email: ana.address })).status).toBe(202)
    await waitFor(() => resetMails(ana.address).length === 1, 10_000, 'the reset email')
    const older = resetMails(ana.address)[0]!
    const newer = await anotherResetLink(ana.user)
    expect((await call('/password/reset', { token: linkToken(newer), password: 'my new secret 8' })).status).toBe(200)
    const stale = await call('/password/reset', { token: linkToken(older), password: 'my other secret 9' })
    expect(stale.status).toBe(422)
    expect((await stale.json()).problems).toEqual([{ path: '/token', message: 'is invalid, expired or already used' }])

    const bob = await signedUp('changed')
    const pending = await anotherResetLink(bob.user)
    expect((await call('/password', { current_password: 'correct horse 42', new_password: 'another secret 9' }, bearer(bob.accessToken))).status).toBe(200)
    expect((await call('/password/reset', { token: linkToken(pending), password: 'my other secret 9' })).status).toBe(422)
    expect((await call('/login', { email: bob.address, password: 'another secret 9' })).status).toBe(200)
  }, 30_000)

  test('answered once the broker has the request, not once the worker applied it: with the worker away and an API that would wait a minute for it, 202 at once; the email goes out once the worker is back', async () => {
    const ana = await signedUp('away')
    const patient = await startApi(
      authApi,
      parseConfig(apiSettingsSchema(authApi.settings), { DATABASE_URL: s.database.url, MEDTRACK_NAMESPACE: s.namespace, PORT: '0', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'error', COMMAND_WAIT_MS: '60000' }) as never,
      silentLogger,
    )
    await s.worker!.close()
    try {
      const res = await post(`http://127.0.0.1:${patient.port}/auth/api/password/forgot`, { email: ana.address })
      expect(res.status).toBe(202)
      expect(await res.json()).toEqual({ status: 'accepted', message: 'if an account has this address, an email with a link to choose a new password is on its way' })
      expect(resetMails(ana.address)).toHaveLength(0)
    } finally {
      await patient.stop()
      await s.startWorker()
    }
    await waitFor(() => resetMails(ana.address).length === 1, 10_000, 'the reset email once the worker is back')
  }, 15_000)
})
