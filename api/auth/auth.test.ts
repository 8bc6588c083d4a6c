import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq, sql } from 'drizzle-orm'
import type { AsyncMessage, Connection } from 'rabbitmq-client'
import { Names, parseConfig, type EventPublisher } from '../../core/index.ts'
import { authCommandResults, authOutbox, emails, users } from '../../schemas/db/auth.ts'
import type { catalogue } from '../../schemas/events/index.ts'
import { waitFor } from '../../test/broker.ts'
import type { TestDatabase } from '../../test/database.ts'
import { bearer, post as postJson, startService, tokenFor, type Service } from '../../test/service.ts'
import { linkToken, mailedToken, startSmtpSink } from '../../test/smtp.ts'
import { AuthSettings } from '../../workers/auth/settings.ts'
import { queueTokenEmail } from '../../workers/auth/mail.ts'
import { hashToken, SET_PASSWORD } from '../../workers/auth/tokens.ts'
import { authWorker } from '../../workers/auth/worker.ts'
import { authApi } from './app.ts'

let s: Service
let events: AsyncMessage[]
let database: TestDatabase
let smtp: Awaited<ReturnType<typeof startSmtpSink>>
let publisher: EventPublisher<typeof catalogue>
let commandTap: Awaited<ReturnType<typeof tapCommands>>

const url = (path: string) => s.url(`/auth/api${path}`)
const post = (path: string, body: unknown, token?: string) => postJson(url(path), body, token ? bearer(token) : {})
const get = (path: string, token?: string, method = 'GET') => fetch(url(path), { method, headers: token ? bearer(token) : {} })
const email = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`
const typesOf = (type: string) => events.filter((m) => m.routingKey === type).map((m) => (m.body as { payload: Record<string, unknown> }).payload)

/** Keeps every command of `types` sent to the namespace's commands exchange from now on. */
async function tapCommands(connection: Connection, namespace: string, types: string[]) {
  const messages: AsyncMessage[] = []
  const consumer = connection.createConsumer(
    { queue: '', queueOptions: { exclusive: true, autoDelete: true }, queueBindings: types.map((routingKey) => ({ exchange: new Names(namespace).commands, routingKey })) },
    (m) => void messages.push(m),
  )
  await new Promise((r) => consumer.once('ready', r))
  const bodies = () => messages.map((m) => (Buffer.isBuffer(m.body) ? m.body.toString('utf8') : JSON.stringify(m.body)))
  return { bodies, payloads: () => bodies().map((b) => JSON.parse(b).payload as Record<string, unknown>), close: () => consumer.close() }
}

/** Every row of auth's command results and outbox, as text. */
async function storedMessages(): Promise<string> {
  const results = await database.db.select().from(authCommandResults)
  const outbox = await database.db.select().from(authOutbox)
  return JSON.stringify([results, outbox])
}

/** How many `type` events auth's worker put in its outbox for `userId`. */
async function announced(type: string, userId: string): Promise<number> {
  const rows = await database.db
    .select()
    .from(authOutbox)
    .where(and(eq(authOutbox.eventType, type), sql`${authOutbox.envelope}->'payload'->>'user_id' = ${userId}`))
  return rows.length
}

async function register(address: string, password = 'correct horse 42', role = 'student') {
  return post('/register', { email: address, password, role, first_name: 'Ana', last_name: 'Diallo' })
}
/** Follows the link of the verification email to `address`, as its owner does before logging in. */
async function verify(address: string) {
  expect((await post('/verify', { token: await mailedToken(smtp, address) })).status).toBe(200)
}
/** Signs up and verifies the address: an account that logs in; its account as /register answered. */
async function signUp(address: string, password = 'correct horse 42') {
  const res = await register(address, password)
  expect(res.status).toBe(201)
  await verify(address.trim())
  return res.json()
}
async function loginToken(address: string, password = 'correct horse 42'): Promise<string> {
  const res = await post('/login', { email: address, password })
  expect(res.status).toBe(200)
  return (await res.json()).access_token
}

beforeAll(async () => {
  smtp = await startSmtpSink()
  const settings = parseConfig(AuthSettings, { SMTP_URL: smtp.url, PUBLIC_URL: 'https://medtrack.example.org', EMAIL_RETRY_MS: '300,600,1200,2400', EMAIL_POLL_MS: '50', EMAIL_GIVE_UP_MS: '5000' })
  s = await startService({ label: 'auth', api: authApi, worker: authWorker(settings) })
  database = s.database
  events = (await s.tap()).messages
  publisher = s.publisher('profile')
  commandTap = await tapCommands(s.connection, s.namespace, ['auth.verify_email', 'auth.set_password'])
})

afterAll(async () => {
  await commandTap.close()
  await s.close()
  await smtp.stop()
})

describe('auth', () => {
  test('register → verification email with a working link → verify → /me shows verified; user.created and user.verified announced', async () => {
    const address = email('ana')
    const res = await register(address)
    expect(res.status).toBe(201)
    const user = await res.json()
    expect(user).toMatchObject({ email: address, role: 'student', first_name: 'Ana', verified: false })
    expect(Object.keys(user)).not.toContain('password_hash')
    expect(JSON.stringify(user)).not.toContain('argon2')

    await waitFor(() => smtp.to(address).length === 1, 10_000, 'the verification email')
    const [mail] = smtp.to(address)
    expect(mail!.subject).toContain('Confirm your MedTrack email')
    expect(mail!.text).toContain('https://medtrack.example.org/verify?token=')
    await waitFor(() => typesOf('email.sent').some((p) => p.recipient === address), 5_000, 'email.sent')

    const [stored] = await database.db.select().from(emails).where(eq(emails.recipient, address))
    expect(stored!.text).toContain('https://medtrack.example.org/verify?token=[used]\n')
    expect(stored!.text).not.toContain(linkToken(mail!))

    // Until the address is verified, the right password is refused as a wrong one is: the same 401.
    const early = await post('/login', { email: address, password: 'correct horse 42' })
    const wrong = await post('/login', { email: address, password: 'wrong password 1' })
    expect([early.status, wrong.status]).toEqual([401, 401])
    const refusal = await early.json()
    expect(refusal).toEqual(await wrong.json())
    expect(refusal).toEqual({ error: 'UNAUTHENTICATED', message: 'wrong email or password, or an address not verified yet (follow the link emailed at sign-up first)' })
    const verified = await post('/verify', { token: linkToken(mail!) })
    expect(verified.status).toBe(200)
    const verifiedUser = await verified.json()
    expect(verifiedUser).toMatchObject({ id: user.id, verified: true })
    const token = await loginToken(address)
    expect((await (await get('/me', token)).json()).verified).toBe(true)
    // The link followed again while it is valid (a second click) succeeds too, showing nothing of the account; it verifies nothing twice.
    const again = await post('/verify', { token: linkToken(mail!) })
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual({ verified: true })
    // The token travels, and rests, only as its hash.
    await waitFor(() => commandTap.payloads().length >= 2, 5_000, 'the verify commands')
    expect(commandTap.payloads().slice(-2)).toEqual([{ token_hash: hashToken(linkToken(mail!)) }, { token_hash: hashToken(linkToken(mail!)) }])
    for (const body of commandTap.bodies()) expect(body).not.toContain(linkToken(mail!))
    expect(await storedMessages()).not.toContain(linkToken(mail!))
    // Another token is still refused.
    expect((await post('/verify', { token: `${linkToken(mail!)}x` })).status).toBe(422)

    await waitFor(() => typesOf('user.verified').some((p) => p.user_id === user.id))
    expect(typesOf('user.verified').filter((p) => p.user_id === user.id)).toHaveLength(1)
    const created = typesOf('user.created').filter((p) => p.user_id === user.id)
    expect(created).toEqual([{ user_id: user.id, email: address, role: 'student', first_name: 'Ana', last_name: 'Diallo' }])
    for (const m of events) expect(JSON.stringify(m.body)).not.toMatch(/password|argon2|token=/)
  })

  test('bad input names the field: weak password, bad email, unknown role → 422; wrong password or unknown address → 401', async () => {
    const weak = await register(email('weak'), 'short1')
    expect(weak.status).toBe(422)
    expect((await weak.json()).problems).toEqual([{ path: '/password', message: 'needs at least 8 characters, with a letter and a digit' }])
    const bad = await post('/register', { email: 'nope', password: 'correct horse 42', role: 'admin', first_name: '' })
    expect(bad.status).toBe(422)
    expect((await bad.json()).problems.map((p: { path: string }) => p.path).sort()).toEqual(['/email', '/first_name', '/last_name', '/role'])

    const pasted = email('pasted')
    expect((await signUp(` ${pasted} `)).email).toBe(pasted)
    expect((await post('/login', { email: pasted, password: 'correct horse 42' })).status).toBe(200)
    expect((await post('/login', { email: pasted, password: 'wrong password 1' })).status).toBe(401)
    expect((await post('/login', { email: email('nobody'), password: 'whatever 123' })).status).toBe(401)
  })

  test('signing up with an address that has an account answers as a new account would (any case, spaces around it); the owner is mailed that someone tried, once an hour; nothing else changes', async () => {
    const address = email('taken')
    const first = await register(address)
    expect(first.status).toBe(201)
    const owner = await first.json()
    await verify(address)

    const answers = [await register(` ${address}\t`, 'another secret 9'), await register(address.toUpperCase(), 'another secret 9')]
    const shape = (b: Record<string, unknown>) => ({ ...b, id: expect.any(String), created_at: expect.any(String) })
    for (const again of answers) {
      expect(again.status).toBe(201)
      const body = await again.json()
      expect(Object.keys(body).sort()).toEqual(Object.keys(owner).sort())
      expect(body).toEqual(shape({ ...owner, email: body.email }))
      expect(body.id).not.toBe(owner.id)
    }
    await waitFor(() => smtp.to(address).length === 2, 10_000, 'the email saying someone tried')
    const tried = smtp.to(address)[1]!
    expect(tried.subject).toBe('Someone tried to sign up to MedTrack with your address')
    expect(tried.text).not.toContain('token=')
    await Bun.sleep(500)
    expect(smtp.to(address)).toHaveLength(2)
    expect(await database.db.select().from(users).where(sql`lower(${users.email}) = lower(${address})`)).toHaveLength(1)
    expect(await announced('user.created', owner.id)).toBe(1)
    // The owner's password is the one that logs in.
    expect((await post('/login', { email: address, password: 'correct horse 42' })).status).toBe(200)
    expect((await post('/login', { email: address, password: 'another secret 9' })).status).toBe(401)
  })

  test("a name is one line: one holding a newline, a tab or another control character → 422 naming the field; no account, no email", async () => {
    const phishing = 'Bob,\n\nIMPORTANT: your account is suspended, log in at http://evil.example'
    for (const [field, value] of [['first_name', phishing], ['last_name', 'Diallo\r\nBcc: someone@evil.example'], ['first_name', 'Ana\tMaria'], ['last_name', 'x\u2028y']] as const) {
      const address = email('oneline')
      const res = await post('/register', { email: address, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Diallo', [field]: value })
      expect(res.status).toBe(422)
      expect(await res.json()).toEqual({
        error: 'VALIDATION_FAILED',
        message: 'invalid body',
        problems: [{ path: `/${field}`, message: 'must be one line, without control characters (a newline, a tab)' }],
      })
      expect(await database.db.select().from(users).where(eq(users.email, address))).toHaveLength(0)
    }
    await Bun.sleep(300)
    expect(smtp.mails.filter((m) => m.to.some((to) => to.startsWith('oneline-')))).toHaveLength(0)
  })

  test('the name a person typed is set apart in the email: quoted in the text, escaped in the HTML, never read as the email\'s own words or markup', async () => {
    const address = email('markup')
    const name = `Zoë <a href="http://evil.example">click</a> & 'co'`
    expect((await post('/register', { email: address, password: 'correct horse 42', role: 'student', first_name: name, last_name: 'Diallo' })).status).toBe(201)
    await waitFor(() => smtp.to(address).length === 1, 10_000, 'the verification email')
    const [mail] = smtp.to(address)
    expect(mail!.text.startsWith(`Hello “${name}”,\n\nWelcome to MedTrack.`)).toBe(true)
    expect(mail!.html).toContain('<p>Hello “<span class="typed">Zoë &lt;a href=&quot;http://evil.example&quot;&gt;click&lt;/a&gt; &amp; &#39;co&#39;</span>”,</p>')
    expect(mail!.html).not.toContain('<a href="http://evil.example">')
    // The link is ours, and works.
    expect(mail!.html).toContain(`<a href="https://medtrack.example.org/verify?token=${linkToken(mail!)}">`)
    expect((await post('/verify', { token: linkToken(mail!) })).status).toBe(200)

    // A name stored before names were one line (or that came another way) is still shown on one line, quoted.
    const legacy = email('legacy')
    const id = crypto.randomUUID()
    await database.db.transaction(async (tx) => {
      await tx.insert(users).values({ id, email: legacy, role: 'student', firstName: 'Bob,\n\nIMPORTANT: your account is suspended', lastName: 'X' })
      await queueTokenEmail(tx, { PUBLIC_URL: 'https://medtrack.example.org' }, { id, email: legacy, firstName: 'Bob,\n\nIMPORTANT: your account is suspended' }, SET_PASSWORD)
    })
    await waitFor(() => smtp.to(legacy).length === 1, 10_000, 'the set-password email')
    const [old] = smtp.to(legacy)
    expect(old!.text.split('\n')[0]).toBe('Hello “Bob, IMPORTANT: your account is suspended”,')
    expect(old!.html).toContain('<p>Hello “<span class="typed">Bob, IMPORTANT: your account is suspended</span>”,</p>')
  })

  test('changing the password: the old token stops working, the new password logs in, the old does not', async () => {
    const address = email('pw')
    const user = await signUp(address)
    const old = await loginToken(address)
    expect((await post('/password', { current_password: 'nope nope 1', new_password: 'another secret 9' }, old)).status).toBe(422)
    expect((await post('/password', { current_password: 'correct horse 42', new_password: 'weak' }, old)).status).toBe(422)
    const changed = await post('/password', { current_password: 'correct horse 42', new_password: 'another secret 9' }, old)
    expect(changed.status).toBe(200)
    expect((await get('/me', old)).status).toBe(401)
    expect((await post('/login', { email: address, password: 'correct horse 42' })).status).toBe(401)
    const fresh = await loginToken(address, 'another secret 9')
    expect((await (await get('/me', fresh)).json()).id).toBe(user.id)
    await waitFor(() => typesOf('user.password_changed').some((p) => p.user_id === user.id))
  })

  test('users/:id: self or admin; delete → user.deleted, and the account is gone', async () => {
    const a = await signUp(email('self'))
    const b = await (await register(email('other'))).json()
    const tokenA = await loginToken(a.email)
    const adminId = crypto.randomUUID()
    await database.db.insert(users).values({ id: adminId, email: email('admin'), role: 'admin', firstName: 'Ad', lastName: 'Min' })
    const admin = await tokenFor('admin', adminId)
    expect((await get(`/users/${a.id}`, tokenA)).status).toBe(200)
    expect((await get(`/users/${b.id}`, tokenA)).status).toBe(403)
    expect((await get(`/users/${b.id}`, admin)).status).toBe(200)
    expect((await get(`/users/${b.id}`)).status).toBe(401)
    expect((await get(`/users/${crypto.randomUUID()}`, admin)).status).toBe(404)

    expect((await get(`/users/${b.id}`, tokenA, 'DELETE')).status).toBe(403)
    const deleted = await get(`/users/${a.id}`, tokenA, 'DELETE')
    expect(deleted.status).toBe(200)
    await waitFor(() => typesOf('user.deleted').some((p) => p.user_id === a.id))
    expect((await get('/me', tokenA)).status).toBe(401)
    expect((await post('/login', { email: a.email, password: 'correct horse 42' })).status).toBe(401)
  })

  test('users/:id takes an id in either case: the own id in upper case answers as in lower case, for GET and DELETE; another user\'s is still refused', async () => {
    const a = await signUp(email('upper'))
    const b = await (await register(email('neighbour'))).json()
    const token = await loginToken(a.email)
    const shown = await get(`/users/${a.id.toUpperCase()}`, token)
    expect(shown.status).toBe(200)
    expect(await shown.json()).toEqual(await (await get(`/users/${a.id}`, token)).json())
    expect((await get(`/users/${b.id.toUpperCase()}`, token)).status).toBe(403)
    expect((await get(`/users/${b.id.toUpperCase()}`, token, 'DELETE')).status).toBe(403)

    const deleted = await get(`/users/${a.id.toUpperCase()}`, token, 'DELETE')
    expect(deleted.status).toBe(200)
    expect(await deleted.json()).toEqual({ id: a.id, deleted: true })
    await waitFor(() => typesOf('user.deleted').some((p) => p.user_id === a.id))
    expect((await get('/me', token)).status).toBe(401)
    expect((await post('/login', { email: a.email, password: 'correct horse 42' })).status).toBe(401)
  })

  test('student.created for an address with no account: the account is made with that user id and a set-password link is mailed; setting it logs in', async () => {
    const address = email('admitted')
    const userId = crypto.randomUUID()
    const studentCreated = { student_id: crypto.randomUUID(), user_id: userId, email: address, first_name: 'Sara' }
    const handledBefore = await s.handled('student.created')
    await publisher.publish('student.created', studentCreated)
    await publisher.publish('student.created', studentCreated)
    await waitFor(async () => (await s.handled('student.created')) === handledBefore + 2, 10_000, 'both copies of student.created handled')
    expect(await database.db.select().from(users).where(eq(users.id, userId))).toHaveLength(1)
    expect(await database.db.select().from(emails).where(eq(emails.recipient, address))).toHaveLength(1)
    expect(await announced('user.created', userId)).toBe(1)

    await waitFor(async () => (await database.db.select().from(emails).where(eq(emails.recipient, address)))[0]!.status === 'sent', 10_000, 'the set-password email sent')
    expect(smtp.to(address)).toHaveLength(1)
    const [mail] = smtp.to(address)
    expect(mail!.text).toContain('https://medtrack.example.org/set-password?token=')
    await waitFor(() => typesOf('user.created').some((p) => p.user_id === userId))
    expect(typesOf('user.created').filter((p) => p.user_id === userId)).toEqual([
      { user_id: userId, email: address, role: 'student', first_name: 'Sara', last_name: 'Sara', profile_id: studentCreated.student_id },
    ])

    const sentBefore = commandTap.payloads().length
    expect((await post('/password/set', { token: linkToken(mail!), password: 'weak' })).status).toBe(422)
    expect((await post('/password/set', { token: linkToken(mail!), password: 'my own secret 7' })).status).toBe(200)
    const token = await loginToken(address, 'my own secret 7')
    expect(await (await get('/me', token)).json()).toMatchObject({ id: userId, verified: true, has_password: true })
    await waitFor(() => commandTap.payloads().length > sentBefore, 5_000, 'the set-password command')
    expect(commandTap.payloads().slice(sentBefore)).toEqual([{ token_hash: hashToken(linkToken(mail!)), password_hash: expect.stringMatching(/^\$argon2id\$/) }])
    for (const body of commandTap.bodies()) expect(body).not.toContain(linkToken(mail!))
    expect(await storedMessages()).not.toContain(linkToken(mail!))

    // An account that exists already (cascade 1 coming back) is left alone.
    const known = await (await register(email('known'))).json()
    const handledKnown = await s.handled('student.created')
    await publisher.publish('student.created', { student_id: crypto.randomUUID(), user_id: known.id, email: known.email })
    await waitFor(async () => (await s.handled('student.created')) === handledKnown + 1, 10_000, 'student.created of a known account handled')
    expect(await database.db.select().from(users).where(eq(users.email, known.email))).toHaveLength(1)
    expect(await database.db.select().from(emails).where(eq(emails.recipient, known.email))).toHaveLength(1)
    expect(await announced('user.created', known.id)).toBe(1)
  })

  test('SMTP down when a user registers: the email goes out once SMTP is back; one that cannot go out before it is EMAIL_GIVE_UP_MS old is given up with email.failed', async () => {
    await smtp.stop()
    const address = email('later')
    expect((await register(address)).status).toBe(201)
    await waitFor(async () => (await database.db.select().from(emails).where(eq(emails.recipient, address)))[0]!.attempts >= 2, 10_000, 'two failed attempts')
    expect(smtp.to(address)).toHaveLength(0)
    await smtp.start()
    await waitFor(() => smtp.to(address).length === 1, 15_000, 'the email after SMTP came back')
    // The SMTP server has it before the attempt is recorded.
    await waitFor(async () => (await database.db.select().from(emails).where(eq(emails.recipient, address)))[0]!.status === 'sent', 5_000, 'the email marked sent')
    await Bun.sleep(500)
    expect(smtp.to(address)).toHaveLength(1)

    await smtp.stop()
    const lost = email('lost')
    expect((await register(lost)).status).toBe(201)
    await waitFor(() => typesOf('email.failed').some((p) => p.recipient === lost), 15_000, 'email.failed')
    const [failed] = await database.db.select().from(emails).where(eq(emails.recipient, lost))
    expect(failed).toMatchObject({ status: 'failed', attempts: 5 })
    expect(failed!.text).toContain('https://medtrack.example.org/verify?token=[used]\n')
    await smtp.start()
  }, 40_000)
})

describe('a retried registration', () => {
  test('the same Idempotency-Key and body: the same 201 again, one account', async () => {
    const address = email('retry')
    const body = { email: address, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Diallo' }
    const send = () => fetch(url('/register'), { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': `k-${address}` }, body: JSON.stringify(body) })
    const first = await send()
    const second = await send()
    expect(first.status).toBe(201)
    expect(second.status).toBe(201)
    expect(await second.text()).toBe(await first.text())
    expect(await database.db.select().from(users).where(eq(users.email, address))).toHaveLength(1)
  })
})
