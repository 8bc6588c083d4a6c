import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { parseConfig, TransientError } from '../../core/index.ts'
import { json, post, startService, type Service } from '../../test/service.ts'
import { mailedToken, startSmtpSink } from '../../test/smtp.ts'
import { AuthSettings } from '../../workers/auth/settings.ts'
import { authWorker } from '../../workers/auth/worker.ts'
import { authApi } from './app.ts'
import { createWorkGate, passwordWork } from './users/passwords.ts'

describe('a work gate', () => {
  test('runs `atOnce` at a time in arrival order, lets `queued` wait, refuses the rest with a TransientError (503)', async () => {
    const gate = createWorkGate({ atOnce: 1, queued: 1 })
    const order: string[] = []
    let release: () => void = () => {}
    const first = gate.run(() => new Promise<string>((r) => (release = () => r('first'))))
    const second = gate.run(async () => (order.push('second'), 'second'))
    expect([gate.running, gate.waiting]).toEqual([1, 1])
    const third = gate.run(async () => 'third')
    expect(third).rejects.toBeInstanceOf(TransientError)
    await Bun.sleep(10)
    expect(order).toEqual([])
    release()
    expect(await Promise.all([first, second])).toEqual(['first', 'second'])
    expect([gate.running, gate.waiting, gate.started]).toEqual([0, 0, 2])
    // A failing piece of work frees its place too.
    expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    await Bun.sleep(0)
    expect(await gate.run(async () => 'after')).toBe('after')
  })
})

describe('argon2id in the auth API', () => {
  let s: Service
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>
  beforeAll(async () => {
    smtp = await startSmtpSink()
    s = await startService({ label: 'argon', api: authApi, worker: authWorker(parseConfig(AuthSettings, { SMTP_URL: smtp.url, EMAIL_POLL_MS: '50' })) })
  })
  afterAll(async () => {
    await s.close()
    await smtp.stop()
  })

  test('POST /password/set with a token no link carried → 422 at /token, without hashing the password', async () => {
    const before = passwordWork.started
    for (const token of ['made-up', crypto.randomUUID(), 'x'.repeat(500)]) {
      const res = await post(s.url('/auth/api/password/set'), { token, password: 'a strong one 42' })
      expect(res.status).toBe(422)
      expect((await json(res)).problems).toEqual([{ path: '/token', message: 'is invalid, expired or already used' }])
    }
    expect(passwordWork.started).toBe(before)
  })

  test('100 logins at once: never more than two argon2id computations at a time; those that cannot even wait → 503 with Retry-After, none a 500', async () => {
    const email = `burst-${crypto.randomUUID().slice(0, 8)}@example.org`
    expect((await post(s.url('/auth/api/register'), { email, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Diallo' })).status).toBe(201)
    expect((await post(s.url('/auth/api/verify'), { token: await mailedToken(smtp, email) })).status).toBe(200)
    let most = 0
    const watch = setInterval(() => (most = Math.max(most, passwordWork.running)), 1)
    try {
      // Each for an address without an account, from an address of its own: no count of failed logins holds any up.
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => post(s.url('/auth/api/login'), { email: `nobody-${i}-${email}`, password: 'wrong guess 123' }, { 'x-real-ip': `10.9.0.${i}` })),
      )
      const statuses = answers.map((a) => a.status)
      expect(statuses.filter((x) => x !== 401 && x !== 503)).toEqual([])
      const busy = answers.filter((a) => a.status === 503)
      expect(busy.length).toBeGreaterThan(0)
      for (const a of busy) {
        expect(a.headers.get('retry-after')).toBe('5')
        expect((await json(a)).error).toBe('SERVICE_UNAVAILABLE')
      }
    } finally {
      clearInterval(watch)
    }
    expect(most).toBeLessThanOrEqual(2)
    expect((await post(s.url('/auth/api/login'), { email, password: 'correct horse 42' })).status).toBe(200)
  }, 30_000)
})
