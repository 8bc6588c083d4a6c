import { createHash } from 'node:crypto'

/**
 * How failed logins are limited: per account and per client address, each
 * counted on its own, an address allowed more (a school's network is one
 * address for all its students). Under the limit, failures are counted within a minute
 * and forgotten after it. From the limit on, each failure makes logins by
 * that account (or from that address) wait, twice as long as the one before,
 * and a correct password waits too: what waits is checked for nothing. The
 * auth worker applies the rule: every attempt is counted as a failure before
 * its password is checked (so that no burst, however parallel, has more
 * checked than the limit), and forgiven once it proved right.
 */
export const LOGIN_RULE: LoginRule = {
  /** Failures allowed within `windowMs` before logins wait. */
  limit: 5,
  windowMs: 60_000,
  /** The wait after the limit is reached; doubled by each failure after it. */
  backoffMs: 60_000,
  /** The longest wait. */
  maxBackoffMs: 15 * 60_000,
  /** Once the limit was reached, failures are forgotten this long after the last one. */
  forgetMs: 60 * 60_000,
}

export interface LoginRule {
  limit: number
  windowMs: number
  backoffMs: number
  maxBackoffMs: number
  forgetMs: number
}

/** What begins the key of a client address. */
const ADDRESS = 'address:'

/** The rule of a client address: as an account's, with 20 failures a minute allowed. */
export const ADDRESS_RULE: LoginRule = { ...LOGIN_RULE, limit: 20 }

/** The rule that counts under `key`. */
export const ruleFor = (key: string): LoginRule => (isAddressKey(key) ? ADDRESS_RULE : LOGIN_RULE)

/** The count kept for the account of an address (in lower case, as accounts are found). */
export const accountKey = (email: string) => `account:${email.trim().toLowerCase()}`

/** The longest client address kept as it is: an IPv6 address with a zone fits; anything longer is kept by its SHA-256. */
const LONGEST_ADDRESS = 64

/** The count kept for a client address, never longer than a key may be. */
export const addressKey = (address: string) => `${ADDRESS}${address.length <= LONGEST_ADDRESS ? address : `sha256:${createHash('sha256').update(address).digest('hex')}`}`

/** Whether a key counts a client address (else an account). */
export const isAddressKey = (key: string) => key.startsWith(ADDRESS)

/** What is counted of one key. */
export interface FailureCount {
  failures: number
  windowStartedAt: Date
  lastFailureAt: Date
  blockedUntil: Date | null
}

/** The count of a key after one more failure at `now`: `blockedUntil` is set once the limit is reached. */
export function afterFailure(previous: FailureCount | undefined, now: Date, rule: LoginRule = LOGIN_RULE): FailureCount {
  const at = now.getTime()
  const stale =
    previous === undefined ||
    (previous.failures < rule.limit ? at - previous.windowStartedAt.getTime() >= rule.windowMs : at - previous.lastFailureAt.getTime() >= rule.forgetMs)
  const failures = stale ? 1 : previous.failures + 1
  const over = failures - rule.limit
  return {
    failures,
    windowStartedAt: stale ? now : previous.windowStartedAt,
    lastFailureAt: now,
    blockedUntil: over >= 0 ? new Date(at + Math.min(rule.backoffMs * 2 ** over, rule.maxBackoffMs)) : null,
  }
}

/**
 * The count of a key once an attempt counted by `afterFailure` proved right:
 * one failure fewer, and no wait unless the failures left still reach the limit.
 */
export function forgiven(count: FailureCount, rule: LoginRule = LOGIN_RULE): FailureCount {
  const failures = Math.max(0, count.failures - 1)
  return { ...count, failures, blockedUntil: failures >= rule.limit ? count.blockedUntil : null }
}
