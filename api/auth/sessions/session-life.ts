import { TransientError, type Database } from '../../../core/index.ts'
import type { CommandSuccess } from '../../../schemas/commands/index.ts'
import type { DispatchCommand } from '../../kit/service-api.ts'
import { findAccount } from '../../../workers/auth/accounts.ts'
import { hashToken as hashOf } from '../../../workers/auth/tokens.ts'
import { checkPassword } from '../users/passwords.ts'
import { unauthenticated } from '../users/read.ts'
import { newRefreshToken, tokensAnswer, type Lifetimes } from './issue.ts'
import { assertNotWaiting, attemptKeys, countAttempt } from './throttle.ts'

/** A command sent to the auth worker, its outcome for the route to answer with. */
export type Dispatch = DispatchCommand

/**
 * What makes a command that carries a token made here this attempt's own: a request made again under
 * the same Idempotency-Key is another command, since the first answer's token cannot be given twice.
 */
const ownAttempt = (tokenHash: string) => ({ bodyHash: tokenHash })

export interface SessionDeps {
  db: Database
  jwtSecret: string
  ttl: Lifetimes
  command: Dispatch
}

/**
 * The one answer to every login that does not sign in: a wrong password, an
 * address without an account (or without a password yet), or one whose
 * address is not verified: each costs the same and says the same.
 */
export const LOGIN_REFUSED = 'wrong email or password, or an address not verified yet (follow the link emailed at sign-up first)'

/**
 * A login: refused while the account or the address waits after too many
 * failures (429); then the worker counts the attempt (429 if it must wait,
 * 503 if it was not counted), and only then is the password checked, against
 * a hash made for nothing when the address has no account or no password
 * yet. A right password for a verified address opens a session in the worker,
 * which forgives the attempt; the worker refuses it (401) when the password
 * changed since it was read here.
 */
export async function login(d: SessionDeps, attempt: { email: string; password: string; address: string | undefined }) {
  const keys = attemptKeys(attempt.email, attempt.address)
  await assertNotWaiting(d.db, keys)
  await countAttempt(d.command, keys)
  const user = await findAccount(d.db, attempt.email)
  const right = await checkPassword(attempt.password, user?.passwordHash ?? null)
  if (!user || !right || !user.verifiedAt) throw unauthenticated(LOGIN_REFUSED)
  const sessionId = crypto.randomUUID()
  const refresh = newRefreshToken()
  const opened = await d.command(
    'auth.start_session',
    { user_id: user.id, session_id: sessionId, token_hash: refresh.hash, ttl_seconds: d.ttl.refreshTtl, token_version: user.tokenVersion, keys },
    ownAttempt(refresh.hash),
  )
  if (opened.status === 401) throw unauthenticated(LOGIN_REFUSED)
  // 202, the worker slow: answered anyway, the access token works at once, the refresh token once the session is written.
  if (opened.status !== 201 && opened.status !== 202) throw new TransientError('SESSION_NOT_OPENED', `the session could not be opened (${opened.status}); try again`)
  const holder = { user_id: user.id, role: user.role, email: user.email, token_version: user.tokenVersion, session_id: sessionId }
  return tokensAnswer(d.jwtSecret, holder, { token: refresh.token, expiresAt: new Date(Date.now() + d.ttl.refreshTtl * 1000).toISOString() }, d.ttl, user)
}

/** What the worker answers a refresh with: the session and its account. */
type Renewed = CommandSuccess<'auth.refresh_session'>['body']

/**
 * A refresh: the worker spends the token and stores its successor, made here
 * (only its hash travels). Its refusal (401) is the answer; while it is still
 * being applied (202), the successor is given anyway, to refresh with next.
 */
export async function refresh(d: SessionDeps, refreshToken: string, set: { status?: number | string; headers: Record<string, string | number> }) {
  const next = newRefreshToken()
  const outcome = await d.command('auth.refresh_session', { token_hash: hashOf(refreshToken), next_token_hash: next.hash, ttl_seconds: d.ttl.refreshTtl }, ownAttempt(next.hash))
  if (outcome.status === 202) {
    set.status = 202
    if (outcome.location) set.headers.location = outcome.location
    return { ...(outcome.body as object), refresh_token: next.token }
  }
  if (outcome.status !== 200) {
    set.status = outcome.status
    return outcome.body
  }
  const renewed = outcome.body as Renewed
  return tokensAnswer(d.jwtSecret, renewed, { token: next.token, expiresAt: renewed.refresh_expires_at }, d.ttl)
}

/** A logout: the session of the refresh token ends (the worker's 401 for a token it never issued). */
export async function logout(d: SessionDeps, refreshToken: string, set: { status?: number | string }) {
  const outcome = await d.command('auth.end_session', { token_hash: hashOf(refreshToken) })
  set.status = outcome.status === 202 ? 202 : outcome.status
  return outcome.status === 202 ? { logged_out: true } : outcome.body
}
