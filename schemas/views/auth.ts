import { Type, type Static } from '@sinclair/typebox'
import type { users } from '../db/auth.ts'
import { Id, Moment, Nullable } from './fields.ts'

export type UserRow = typeof users.$inferSelect

export const UserView = Type.Object({
  id: Id,
  email: Type.String({ format: 'email' }),
  role: Type.String({ description: 'student, encadrant or admin' }),
  first_name: Type.String(),
  last_name: Type.String(),
  verified: Type.Boolean({ description: 'whether the address was verified (by the emailed link)' }),
  verified_at: Nullable(Moment),
  has_password: Type.Boolean({ description: 'false for an account an admin made, until its owner chooses a password' }),
  created_at: Moment,
})
export type UserView = Static<typeof UserView>

/** A user as the API shows it: never the password hash or token version. */
export function userView(u: UserRow): UserView {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    first_name: u.firstName,
    last_name: u.lastName,
    verified: u.verifiedAt !== null,
    verified_at: u.verifiedAt?.toISOString() ?? null,
    has_password: u.passwordHash !== null,
    created_at: u.createdAt.toISOString(),
  }
}

/** A link followed again once its account is verified: only that it is (the account is not shown to whoever holds the link). */
export const Verified = Type.Union([UserView, Type.Object({ verified: Type.Literal(true) })])
/** A session opened: its id. */
export const SessionStarted = Type.Object({ session_id: Id })
/** A refresh token traded: its session and account, for the API to issue the new tokens with. */
export const SessionRenewed = Type.Object({
  session_id: Id,
  user_id: Id,
  role: Type.String(),
  email: Type.String({ format: 'email' }),
  token_version: Type.Integer({ minimum: 0 }),
  refresh_expires_at: Moment,
})
export const LoggedOut = Type.Object({ logged_out: Type.Literal(true) })
export const LoggedOutEverywhere = Type.Object({ logged_out: Type.Literal(true), sessions_ended: Type.Integer({ minimum: 0 }) })
/** A login attempt counted, before its password is checked. */
export const AttemptCounted = Type.Object({ counted: Type.Literal(true) })
/** A reset link asked for: taken, whether or not the address has an account. */
export const ResetTaken = Type.Object({ accepted: Type.Literal(true) })
