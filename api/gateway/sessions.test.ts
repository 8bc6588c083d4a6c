import { afterAll, describe, expect, test } from 'bun:test'
import { silentLogger } from '../../core/index.ts'
import { closedPort } from '../../test/service.ts'
import { createSessionCheck } from './sessions.ts'

let revoked = new Set<string>()
let calls = 0
const auth = Bun.serve({
  port: 0,
  fetch(req) {
    calls++
    const token = req.headers.get('authorization')?.slice(7) ?? ''
    return revoked.has(token) ? Response.json({ error: 'UNAUTHENTICATED' }, { status: 401 }) : Response.json({ id: 'u1' })
  },
})
afterAll(() => auth.stop(true))

describe('session check', () => {
  test('current → valid, retired → revoked, each answer reused for cacheMs', async () => {
    const check = createSessionCheck({ authUrl: `http://127.0.0.1:${auth.port}`, cacheMs: 200, log: silentLogger })
    revoked = new Set(['old'])
    expect(await check('Bearer new')).toBe('valid')
    expect(await check('Bearer old')).toBe('revoked')
    const before = calls
    expect(await check('Bearer new')).toBe('valid')
    expect(calls).toBe(before)
    revoked.add('new')
    expect(await check('Bearer new')).toBe('valid')
    await Bun.sleep(250)
    expect(await check('Bearer new')).toBe('revoked')
  })

  test('auth unreachable → unknown (the request goes on; the service still checks the signature), and it is not cached', async () => {
    const port = await closedPort()
    const check = createSessionCheck({ authUrl: `http://127.0.0.1:${port}`, cacheMs: 10_000, timeoutMs: 500, log: silentLogger })
    expect(await check('Bearer any')).toBe('unknown')

    // Auth comes back on the same port: the next check asks it instead of reusing "unknown".
    let asked = 0
    const back = Bun.serve({ port, hostname: '127.0.0.1', fetch: () => (asked++, Response.json({ error: 'UNAUTHENTICATED' }, { status: 401 })) })
    try {
      expect(await check('Bearer any')).toBe('revoked')
      expect(asked).toBe(1)
    } finally {
      await back.stop(true)
    }
  })
})
