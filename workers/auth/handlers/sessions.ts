import { eq } from 'drizzle-orm'
import type { Tx } from '../../../core/index.ts'
import { refreshTokens, sessions, users } from '../../../schemas/db/auth.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { endSession as end, endUserSessions, expiresIn, openSession } from '../sessions.ts'
import { forgiveAttempt } from './login-attempts.ts'

/** A refusal the worker answers without undoing what it did (ending a session whose token was stolen, say). */
const refused = (message: string) => ({ status: 401 as const, body: { error: 'UNAUTHENTICATED', message } })

/**
 * A login that gave the right password: its session opens and its attempt is
 * forgiven. Refused when the account's token version moved on since the API
 * read it (a reset or a change of password came in between, so the password
 * checked is no longer the account's); the account's row is read in share
 * mode, so such a change waits for this session to be written, then ends it.
 */
export const startSession: NonNullable<CommandHandlers['auth.start_session']> = async ({ payload }, { tx }) => {
  const [user] = await tx.select({ tokenVersion: users.tokenVersion }).from(users).where(eq(users.id, payload.user_id)).for('share')
  if (user?.tokenVersion !== payload.token_version) return refused('the password changed meanwhile; log in again')
  await openSession(tx, { sessionId: payload.session_id, userId: payload.user_id, tokenHash: payload.token_hash, ttlSeconds: payload.ttl_seconds })
  await forgiveAttempt(tx, payload.keys)
  return { status: 201, body: { session_id: payload.session_id } }
}

/** The refresh token of that hash with its session, both locked: two refreshes with one token are applied one after the other. */
async function tokenWithSession(tx: Tx, tokenHash: string) {
  const [token] = await tx.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).for('update')
  const [session] = token ? await tx.select().from(sessions).where(eq(sessions.id, token.sessionId)).for('update') : []
  return token && session ? { token, session } : undefined
}

/**
 * Rotation: the token is spent and its successor issued in the same session;
 * the answer names the account, for the API to sign the new access token. A
 * token already spent means two holders of one session: the session ends,
 * which the successor, in the other holder's hands, learns at its next refresh.
 */
export const refreshSession: NonNullable<CommandHandlers['auth.refresh_session']> = async ({ payload }, { tx, log }) => {
  const found = await tokenWithSession(tx, payload.token_hash)
  if (!found || found.session.endedAt) return refused('this refresh token is not valid; log in again')
  const { token, session } = found
  if (token.spentAt) {
    await end(tx, session.id, 'refresh_reused')
    log.warn('a refresh token was used a second time: its session is ended, as someone else may hold it', { session_id: session.id, user_id: session.userId })
    return refused('this refresh token was already used; the session is ended for safety, log in again')
  }
  if (token.expiresAt.getTime() <= Date.now()) return refused('this refresh token has expired; log in again')
  const [user] = await tx.select().from(users).where(eq(users.id, session.userId))
  if (!user) return refused('this account no longer exists')
  await tx.update(refreshTokens).set({ spentAt: new Date() }).where(eq(refreshTokens.tokenHash, token.tokenHash))
  const [next] = await tx
    .insert(refreshTokens)
    .values({ tokenHash: payload.next_token_hash, sessionId: session.id, expiresAt: expiresIn(payload.ttl_seconds) })
    .returning({ expiresAt: refreshTokens.expiresAt })
  return {
    status: 200,
    body: { session_id: session.id, user_id: user.id, role: user.role, email: user.email, token_version: user.tokenVersion, refresh_expires_at: next!.expiresAt.toISOString() },
  }
}

/** A logout: the session of any of its refresh tokens (spent ones too) ends; ending it again is no error. */
export const endSession: NonNullable<CommandHandlers['auth.end_session']> = async ({ payload }, { tx }) => {
  const found = await tokenWithSession(tx, payload.token_hash)
  if (!found) return refused('this refresh token is not valid')
  await end(tx, found.session.id, 'logout')
  return { status: 200, body: { logged_out: true } }
}

/** A logout everywhere: every open session of the user ends. */
export const endSessions: NonNullable<CommandHandlers['auth.end_sessions']> = async ({ payload }, { tx }) => {
  const ended = await endUserSessions(tx, payload.user_id, 'logout_all')
  return { status: 200, body: { logged_out: true, sessions_ended: ended } }
}
