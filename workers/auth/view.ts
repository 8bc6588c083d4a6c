import { Type, type Static } from '@sinclair/typebox'
import type { users } from '../../schemas/db/auth.ts'
import { Id, Moment, Nullable } from '../../schemas/views/fields.ts'

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
