import { afterAll, describe, expect, test } from 'bun:test'
import { silentLogger } from '../../core/index.ts'
import { closedPort } from '../../test/service.ts'
import { signToken, type Role } from '../kit/jwt.ts'
import { createSessionCheck } from './sessions.ts'

/** Auth's view of the accounts: user id → role; a token whose text is in `revoked` is refused. */
const accounts = new Map<string, Role>()
let revoked = new Set<string>()
let calls = 0
let answer: 'accounts' | 'error' | 'hang' = 'accounts'
const auth = Bun.serve({
  port: 0,
  async fetch(req) {
    calls++
    if (answer === 'error') return Response.json({ error: 'INTERNAL' }, { status: 500 })
    if (answer === 'hang') await Bun.sleep(2_000)
    const token = req.headers.get('authorization')?.slice(7) ?? ''
    const sub = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}').sub
    if (revoked.has(token) || !accounts.has(sub)) return Response.json({ error: 'UNAUTHENTICATED' }, { status: 401 })
    return Response.json({ id: sub, role: accounts.get(sub) })
  },
})
afterAll(() => auth.stop(true))

/** A token for an account, signed with a secret the gateway never needs: auth is the one to check it. */
async function tokenOf(role: Role, sub: string = crypto.randomUUID()): Promise<string> {
  return `Bearer ${await signToken('any-secret-0123456789abcdef0123', { sub, role })}`
}

describe('session check', () => {
  test('current → valid, retired → revoked, each answer reused for cacheMs', async () => {
    const check = createSessionCheck({ authUrl: `http://127.0.0.1:${auth.port}`, cacheMs: 200, log: silentLogger })
    const [oldId, newId] = [crypto.randomUUID(), crypto.randomUUID()]
    accounts.set(oldId, 'student').set(newId, 'student')
    const [old, current] = [await tokenOf('student', oldId), await tokenOf('student', newId)]
    revoked = new Set([old.slice(7)])
    expect(await check(current)).toBe('valid')
    expect(await check(old)).toBe('revoked')
    const before = calls
    expect(await check(current)).toBe('valid')
    expect(calls).toBe(before)
    revoked.add(current.slice(7))
    expect(await check(current)).toBe('valid')
    await Bun.sleep(250)
    expect(await check(current)).toBe('revoked')
  })

  test("a token naming another role than the account's, or another user than auth answers for, is revoked", async () => {
    const check = createSessionCheck({ authUrl: `http://127.0.0.1:${auth.port}`, cacheMs: 1_000, log: silentLogger })
    const student = crypto.randomUUID()
    accounts.set(student, 'student')
    expect(await check(await tokenOf('student', student))).toBe('valid')
    expect(await check(await tokenOf('admin', student))).toBe('revoked')
    expect(await check(await tokenOf('encadrant', student))).toBe('revoked')
    // Not a token that names anyone: whatever auth says of it, it is nobody's session.
    expect(await check('Bearer not-a-token')).toBe('revoked')
  })

  test('auth unreachable, failing or too slow → unknown (the gateway refuses the request), and it is not cached', async () => {
    const port = await closedPort()
    const check = createSessionCheck({ authUrl: `http://127.0.0.1:${port}`, cacheMs: 10_000, timeoutMs: 500, log: silentLogger })
    const sub = crypto.randomUUID()
    const token = await tokenOf('student', sub)
    expect(await check(token)).toBe('unknown')

    // Auth comes back on the same port: the next check asks it instead of reusing "unknown".
    let asked = 0
    const back = Bun.serve({ port, hostname: '127.0.0.1', fetch: () => (asked++, Response.json({ error: 'UNAUTHENTICATED' }, { status: 401 })) })
    try {
      expect(await check(token)).toBe('revoked')
      expect(asked).toBe(1)
    } finally {
      await back.stop(true)
    }

    accounts.set(sub, 'student')
    const against = createSessionCheck({ authUrl: `http://127.0.0.1:${auth.port}`, cacheMs: 10_000, timeoutMs: 500, log: silentLogger })
    try {
      for (const failing of ['error', 'hang'] as const) {
        answer = failing
        expect(await against(token)).toBe('unknown')
      }
      answer = 'accounts'
      expect(await against(token)).toBe('valid')
    } finally {
      answer = 'accounts'
    }
  })
})
