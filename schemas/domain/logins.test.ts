import { describe, expect, test } from 'bun:test'
import { accountKey, addressKey, afterFailure, forgiven, LOGIN_RULE, ruleFor, type FailureCount } from './logins.ts'

const t0 = new Date('2026-12-01T10:00:00Z')
const later = (ms: number) => new Date(t0.getTime() + ms)

/** The count after a failure at each of `times` (ms after t0). */
function failuresAt(times: number[]): FailureCount {
  let count: FailureCount | undefined
  for (const ms of times) count = afterFailure(count, later(ms))
  return count!
}

describe('the failed-login rule', () => {
  test('four failures within a minute wait for nothing; the fifth makes logins wait a minute, each further one twice as long, up to 15 minutes', () => {
    expect(failuresAt([0, 1, 2, 3]).blockedUntil).toBeNull()
    expect(failuresAt([0, 1, 2, 3, 4]).blockedUntil).toEqual(later(4 + 60_000))
    expect(failuresAt([0, 1, 2, 3, 4, 70_000]).blockedUntil).toEqual(later(70_000 + 120_000))
    expect(failuresAt([0, 1, 2, 3, 4, 70_000, 200_000]).blockedUntil).toEqual(later(200_000 + 240_000))
    const many = failuresAt(Array.from({ length: 12 }, (_, i) => i * 1000))
    expect(many.blockedUntil).toEqual(later(11_000 + LOGIN_RULE.maxBackoffMs))
  })

  test('under the limit, failures are forgotten after their minute; over it, an hour after the last one', () => {
    expect(failuresAt([0, 1, 2, 3, 60_000])).toMatchObject({ failures: 1, blockedUntil: null })
    const waited = failuresAt([0, 1, 2, 3, 4, 30 * 60_000])
    expect(waited.failures).toBe(6)
    expect(failuresAt([0, 1, 2, 3, 4, 4 + 60 * 60_000])).toMatchObject({ failures: 1, blockedUntil: null })
  })

  test("an address is allowed twenty failures a minute, an account five", () => {
    expect(ruleFor(addressKey('203.0.113.9')).limit).toBe(20)
    expect(ruleFor(accountKey(' Ana@Example.org ')).limit).toBe(5)
    expect(accountKey(' Ana@Example.org ')).toBe('account:ana@example.org')
    let count: FailureCount | undefined
    for (let i = 0; i < 19; i++) count = afterFailure(count, later(i), ruleFor(addressKey('203.0.113.9')))
    expect(count!.blockedUntil).toBeNull()
    expect(afterFailure(count, later(19), ruleFor(addressKey('203.0.113.9'))).blockedUntil).toEqual(later(19 + 60_000))
  })

  test('an attempt that proved right is forgiven: one failure fewer, and no wait unless the limit is still reached', () => {
    expect(forgiven(failuresAt([0, 1, 2]))).toMatchObject({ failures: 2, blockedUntil: null })
    expect(forgiven(failuresAt([0, 1, 2, 3, 4]))).toMatchObject({ failures: 4, blockedUntil: null })
    const over = failuresAt([0, 1, 2, 3, 4, 70_000])
    expect(forgiven(over)).toMatchObject({ failures: 5, blockedUntil: over.blockedUntil })
  })

  test('an address key is never longer than an address: one past 64 characters is kept by its SHA-256', () => {
    expect(addressKey('2001:db8::1')).toBe('address:2001:db8::1')
    const long = 'x'.repeat(400)
    expect(addressKey(long)).toMatch(/^address:sha256:[0-9a-f]{64}$/)
    expect(addressKey(long)).toBe(addressKey(long))
    expect(ruleFor(addressKey(long)).limit).toBe(20)
  })
})
