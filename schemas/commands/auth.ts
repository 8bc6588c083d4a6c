/** Commands the auth worker applies. Passwords travel only as argon2id hashes, mailed tokens only as SHA-256 hashes. */
import { Type, type Static } from '@sinclair/typebox'
import { Email, Text, Uuid } from '../events/fields.ts'

export const RegisterUser = Type.Object({
  email: Email,
  password_hash: Text,
  role: Type.Union([Type.Literal('student'), Type.Literal('encadrant')]),
  first_name: Text,
  last_name: Text,
})
export type RegisterUser = Static<typeof RegisterUser>

/** The hex SHA-256 of a mailed one-time token (`hashToken` of `workers/auth/tokens.ts`): the token itself never travels. */
const TokenHash = Type.String({ pattern: '^[0-9a-f]{64}$' })

/** Marks the address verified; `token_hash` is the hash of the token mailed to the user. */
export const VerifyEmail = Type.Object({ token_hash: TokenHash })
export type VerifyEmail = Static<typeof VerifyEmail>

/** A new password from the signed-in user: every other session ends; `session_id`, the one it was asked from, stays. */
export const ChangePassword = Type.Object({ user_id: Uuid, password_hash: Text, session_id: Type.Optional(Uuid) })
export type ChangePassword = Static<typeof ChangePassword>

/** Sets the first password of an account made without one, with the hash of the mailed token. */
export const SetPassword = Type.Object({ token_hash: TokenHash, password_hash: Text })
export type SetPassword = Static<typeof SetPassword>

export const DeleteUser = Type.Object({ user_id: Uuid })
export type DeleteUser = Static<typeof DeleteUser>

/** The hex SHA-256 of a refresh token: like mailed tokens, the token itself never travels nor rests. */
const RefreshHash = Type.String({ pattern: '^[0-9a-f]{64}$' })
/** How long a refresh token lasts, in seconds (REFRESH_TTL of the API that issued it). */
const RefreshTtl = Type.Integer({ minimum: 1 })

/** The keys a login attempt is counted under (`schemas/domain/logins.ts`): the account's, and the client address's. */
const AttemptKeys = Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { minItems: 1, maxItems: 2 })

/**
 * Opens a session for a login that gave the right password: its first refresh
 * token (by hash), and the attempt counted under `keys` forgiven (the
 * account's failed logins forgotten). Refused (401) when the account's token
 * version is no longer `token_version`, the one whose password was checked
 * (a reset or a change came in between).
 */
export const StartSession = Type.Object({ user_id: Uuid, session_id: Uuid, token_hash: RefreshHash, ttl_seconds: RefreshTtl, token_version: Type.Integer({ minimum: 0 }), keys: AttemptKeys })
export type StartSession = Static<typeof StartSession>

/**
 * Trades a refresh token for its successor (`next_token_hash`) in the same
 * session; a token already traded ends its session instead.
 */
export const RefreshSession = Type.Object({ token_hash: RefreshHash, next_token_hash: RefreshHash, ttl_seconds: RefreshTtl })
export type RefreshSession = Static<typeof RefreshSession>

/** Ends the session a refresh token belongs to (a logout). */
export const EndSession = Type.Object({ token_hash: RefreshHash })
export type EndSession = Static<typeof EndSession>

/** Ends every session of the user (a logout everywhere). */
export const EndSessions = Type.Object({ user_id: Uuid })
export type EndSessions = Static<typeof EndSessions>

/**
 * Counts a login attempt against each key before its password is checked: 200 when it may go on
 * (counted as a failure until a session forgives it), 429 with `blocked_until` when a key waits.
 */
export const CountLoginAttempt = Type.Object({ keys: AttemptKeys })
export type CountLoginAttempt = Static<typeof CountLoginAttempt>

/** Mails a one-time link to choose a new password, when an account has that email; nothing otherwise. */
export const RequestPasswordReset = Type.Object({ email: Email })
export type RequestPasswordReset = Static<typeof RequestPasswordReset>

/** Sets a new password with the hash of the mailed reset token; every session of the account ends. */
export const ResetPassword = Type.Object({ token_hash: TokenHash, password_hash: Text })
export type ResetPassword = Static<typeof ResetPassword>
