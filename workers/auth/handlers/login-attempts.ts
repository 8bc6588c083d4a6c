import { eq } from 'drizzle-orm'
import type { Tx } from '../../../core/index.ts'
import { loginFailures } from '../../../schemas/db/auth.ts'
import { afterFailure, forgiven, isAddressKey, ruleFor } from '../../../schemas/domain/logins.ts'
import type { CommandHandlers } from '../../kit/define.ts'

/** The count of a key, its row locked (made first when it has none): attempts through every replica are counted one after the other. */
async function locked(tx: Tx, key: string, now: Date) {
  await tx.insert(loginFailures).values({ key, failures: 0, windowStartedAt: now, lastFailureAt: now }).onConflictDoNothing()
  const [row] = await tx.select().from(loginFailures).where(eq(loginFailures.key, key)).for('update')
  return row!
}

/**
 * A login attempt, before its password is checked: refused (429, nothing
 * counted) while a key waits; else counted as a failure under every key,
 * which the session a right password opens forgives. However many attempts
 * arrive at once, no more than the limit go on to have their password checked.
 */
export const countLoginAttempt: NonNullable<CommandHandlers['auth.count_login_attempt']> = async ({ payload }, { tx }) => {
  const now = new Date()
  const rows = []
  for (const key of payload.keys) rows.push(await locked(tx, key, now))
  const waits = Math.max(0, ...rows.map((r) => r.blockedUntil?.getTime() ?? 0))
  if (waits > now.getTime()) {
    const blockedUntil = new Date(waits).toISOString()
    return { status: 429, body: { error: 'TOO_MANY_ATTEMPTS', message: `too many failed logins; logins wait until ${blockedUntil}`, blocked_until: blockedUntil } }
  }
  for (const row of rows) await tx.update(loginFailures).set(afterFailure(row.failures === 0 ? undefined : row, now, ruleFor(row.key))).where(eq(loginFailures.key, row.key))
  return { status: 200, body: { counted: true } }
}

/** A login attempt that proved right: the account's failures are forgotten, the address's attempt taken back. */
export async function forgiveAttempt(tx: Tx, keys: string[]): Promise<void> {
  for (const key of keys) {
    if (!isAddressKey(key)) {
      await tx.delete(loginFailures).where(eq(loginFailures.key, key))
      continue
    }
    const [row] = await tx.select().from(loginFailures).where(eq(loginFailures.key, key)).for('update')
    if (row) await tx.update(loginFailures).set(forgiven(row, ruleFor(key))).where(eq(loginFailures.key, key))
  }
}
