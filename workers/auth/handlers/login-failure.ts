import { eq } from 'drizzle-orm'
import type { Tx } from '../../../core/index.ts'
import { loginFailures } from '../../../schemas/db/auth.ts'
import { afterFailure, ruleFor } from '../../../schemas/domain/logins.ts'
import type { CommandHandlers } from '../../kit/define.ts'

/** One more failure of a key, its row locked (made first when it has none): replicas' failures are all counted. */
async function count(tx: Tx, key: string, now: Date) {
  await tx.insert(loginFailures).values({ key, failures: 0, windowStartedAt: now, lastFailureAt: now }).onConflictDoNothing()
  const [row] = await tx.select().from(loginFailures).where(eq(loginFailures.key, key)).for('update')
  const next = afterFailure(row!.failures === 0 ? undefined : row, now, ruleFor(key))
  await tx.update(loginFailures).set(next).where(eq(loginFailures.key, key))
  return next
}

/** A wrong password (or an unknown address): counted against the account and the client address; the answer says until when logins wait, if they do. */
export const recordLoginFailure: NonNullable<CommandHandlers['auth.record_login_failure']> = async ({ payload }, { tx }) => {
  const now = new Date()
  const counts = []
  for (const key of payload.keys) counts.push(await count(tx, key, now))
  const waits = counts.map((c) => c.blockedUntil?.getTime() ?? 0).reduce((a, b) => Math.max(a, b), 0)
  return { status: 200, body: { blocked_until: waits > 0 ? new Date(waits).toISOString() : null } }
}
