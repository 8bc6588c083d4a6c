import { and, eq, inArray, isNull, ne, sql } from 'drizzle-orm'
import type { Tx } from '../../core/index.ts'
import { refreshTokens, sessions } from '../../schemas/db/auth.ts'

/** Why a session ended (its `end_reason`). */
export type EndReason = 'logout' | 'logout_all' | 'password_changed' | 'password_reset' | 'refresh_reused' | 'address_taken_over'

/** A refresh token's expiry, `ttlSeconds` from now by the database's clock. */
export const expiresIn = (ttlSeconds: number) => sql`now() + make_interval(secs => ${ttlSeconds})`

/** Opens a session with its first refresh token. */
export async function openSession(tx: Tx, s: { sessionId: string; userId: string; tokenHash: string; ttlSeconds: number }): Promise<void> {
  await tx.insert(sessions).values({ id: s.sessionId, userId: s.userId }).onConflictDoNothing()
  await tx.insert(refreshTokens).values({ tokenHash: s.tokenHash, sessionId: s.sessionId, expiresAt: expiresIn(s.ttlSeconds) }).onConflictDoNothing()
}

/** Ends the open sessions of a user, all but `keep` when given; how many it ended. Their refresh tokens stop working, and so do the access tokens naming them. */
export async function endUserSessions(tx: Tx, userId: string, reason: EndReason, keep?: string): Promise<number> {
  const ended = await tx
    .update(sessions)
    .set({ endedAt: new Date(), endReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt), keep ? ne(sessions.id, keep) : undefined))
    .returning({ id: sessions.id })
  return ended.length
}

/** Ends one session, when it is still open. */
export async function endSession(tx: Tx, sessionId: string, reason: EndReason): Promise<void> {
  await tx.update(sessions).set({ endedAt: new Date(), endReason: reason }).where(and(eq(sessions.id, sessionId), isNull(sessions.endedAt)))
}

/** Removes every session of a user and their refresh tokens: the account is gone. */
export async function dropUserSessions(tx: Tx, userId: string): Promise<void> {
  const dropped = await tx.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id })
  if (dropped.length > 0) await tx.delete(refreshTokens).where(inArray(refreshTokens.sessionId, dropped.map((s) => s.id)))
}
