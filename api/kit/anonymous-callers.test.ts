import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { parseConfig } from '../../core/index.ts'
import { users } from '../../schemas/db/auth.ts'
import { json, post, startService, type Service } from '../../test/service.ts'
import { startSmtpSink } from '../../test/smtp.ts'
import { AuthSettings } from '../../workers/auth/settings.ts'
import { authWorker } from '../../workers/auth/worker.ts'
import { authApi } from '../auth/app.ts'

/** Requests without a token, through the auth API (register, login): the kit's idempotency and input checks for callers it cannot tell apart. */
let s: Service
let smtp: Awaited<ReturnType<typeof startSmtpSink>>

beforeAll(async () => {
  smtp = await startSmtpSink()
  s = await startService({ label: 'anon', api: authApi, worker: authWorker(parseConfig(AuthSettings, { SMTP_URL: smtp.url, EMAIL_POLL_MS: '50' })) })
})

afterAll(async () => {
  await s.close()
  await smtp.stop()
})

const uniqueEmail = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`
const registration = (email: string, first_name: string) => ({ email, password: 'correct horse 42', role: 'student', first_name, last_name: 'Doe' })
const accounts = (email: string) => s.database.db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`)

describe('anonymous callers and Idempotency-Key', () => {
  test('Alice and Bob register with the same key: two accounts, each answered with their own', async () => {
    const key = { 'idempotency-key': '1' }
    const [alice, bob] = [uniqueEmail('alice'), uniqueEmail('bob')]
    const first = await post(s.url('/auth/api/register'), registration(alice, 'Alice'), key)
    const second = await post(s.url('/auth/api/register'), registration(bob, 'Bob'), key)
    expect([first.status, second.status]).toEqual([201, 201])
    expect(await json(first)).toMatchObject({ email: alice, first_name: 'Alice' })
    expect(await json(second)).toMatchObject({ email: bob, first_name: 'Bob' })
    expect(await accounts(alice)).toHaveLength(1)
    expect(await accounts(bob)).toHaveLength(1)
  })
})

describe('a NUL character', () => {
  test('in the login email or password → 422 naming the field, not a 500', async () => {
    const res = await post(s.url('/auth/api/login'), { email: 'ana\u0000@example.org', password: 'x\u0000' })
    expect(res.status).toBe(422)
    expect(await json(res)).toEqual({
      error: 'VALIDATION_FAILED',
      message: expect.any(String),
      problems: [
        { path: '/email', message: expect.stringContaining('NUL') },
        { path: '/password', message: expect.stringContaining('NUL') },
      ],
    })
  })

  test('in a registration → 422 at once, never a 202 for a command the worker cannot store', async () => {
    const email = uniqueEmail('nul')
    const res = await post(s.url('/auth/api/register'), registration(email, 'Nu\u0000l'))
    expect(res.status).toBe(422)
    expect((await json(res)).problems).toEqual([{ path: '/first_name', message: expect.stringContaining('NUL') }])
    expect(await accounts(email)).toHaveLength(0)
  })
})
