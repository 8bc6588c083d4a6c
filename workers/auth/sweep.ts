import { and, eq, exists, gt, isNull, lt, lte, not, notExists, or, sql } from 'drizzle-orm'
import { describe } from '../../core/index.ts'
import { loginFailures, refreshTokens, sessions, users, userTokens } from '../../schemas/db/auth.ts'
import { LOGIN_RULE } from '../../schemas/domain/logins.ts'
import { periodic } from '../kit/periodic.ts'
import { removeAccount, unverifiedSignUp } from './removal.ts'
import { VERIFY_EMAIL } from './tokens.ts'

/** Accounts one round removes at most. */
const ROUND = 100

const verifyLinks = (userId: typeof users.id, live: boolean) =>
  exists(
    sql`(select 1 from ${userTokens} where ${and(eq(userTokens.userId, userId), eq(userTokens.purpose, VERIFY_EMAIL), live ? gt(userTokens.expiresAt, sql`now()`) : lte(userTokens.expiresAt, sql`now()`))})`,
  )

/** Unverified sign-ups whose verification link expired, and none of which is still valid. */
const expiredSignUps = and(unverifiedSignUp, verifyLinks(users.id, false), not(verifyLinks(users.id, true)))

/** How long an ended session, or an expired refresh token, is kept: past the life of any access token naming it. */
const KEPT_AFTER_END = sql`now() - interval '1 day'`

/**
 * Every `everyMs`: removes the sign-ups whose address was never verified once
 * their link has expired (`user.deleted`), so the address is free again for
 * its owner; each removal one unit of work named after its account, so that
 * replicas remove it once. Also forgets the failed logins no rule needs any
 * more, and the refresh tokens and sessions long over.
 */
export const accountSweep = (everyMs: number) =>
  periodic('account sweep', everyMs, async (ctx, stopped) => {
    const due = await ctx.db.select({ id: users.id }).from(users).where(expiredSignUps).limit(ROUND)
    for (const { id } of due) {
      if (stopped()) return
      await ctx
        .apply(`sign-up-expired:${id}`, async ({ tx, emit }) => {
          const [still] = await tx.select({ id: users.id }).from(users).where(and(eq(users.id, id), expiredSignUps)).for('update')
          if (still) await removeAccount(tx, emit, id)
        })
        .catch((err) => ctx.log.warn('an expired sign-up could not be removed; the next round tries again', { user_id: id, error: describe(err) }))
    }
    const forgotten = new Date(Date.now() - LOGIN_RULE.forgetMs)
    await ctx.db.delete(loginFailures).where(and(lt(loginFailures.lastFailureAt, forgotten), or(isNull(loginFailures.blockedUntil), lt(loginFailures.blockedUntil, new Date()))))
    await ctx.db.delete(refreshTokens).where(lt(refreshTokens.expiresAt, KEPT_AFTER_END))
    await ctx.db.delete(sessions).where(or(lt(sessions.endedAt, KEPT_AFTER_END), and(lt(sessions.createdAt, KEPT_AFTER_END), notExists(ctx.db.select({ one: sql`1` }).from(refreshTokens).where(eq(refreshTokens.sessionId, sessions.id))))))
  })
