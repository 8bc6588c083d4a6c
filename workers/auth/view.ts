import type { users } from '../../schemas/db/auth.ts'

export type UserRow = typeof users.$inferSelect

/** A user as the API shows it: never the password hash or token version. */
export function userView(u: UserRow) {
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
