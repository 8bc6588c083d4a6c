import { and, eq, isNotNull, isNull, ne } from 'drizzle-orm'
import type { Emit, Tx } from '../../core/index.ts'
import { users, userTokens } from '../../schemas/db/auth.ts'
import type { Catalogue } from '../kit/define.ts'
import { dropUserSessions } from './sessions.ts'

/** Removes an account with its mailed tokens and its sessions, announcing `user.deleted`; whether there was one. */
export async function removeAccount(tx: Tx, emit: Emit<Catalogue>, userId: string): Promise<boolean> {
  const [user] = await tx.delete(users).where(eq(users.id, userId)).returning({ id: users.id })
  if (!user) return false
  await tx.delete(userTokens).where(eq(userTokens.userId, user.id))
  await dropUserSessions(tx, user.id)
  emit('user.deleted', { user_id: user.id })
  return true
}

/**
 * A sign-up whose address was never proved: made by registering (it has a
 * password of its own, not a link from an admin's profile) and not verified.
 * It does not hold its address: it is released when its link expires, and an
 * admin's student or encadrant for that address takes it over.
 */
export const unverifiedSignUp = and(isNull(users.verifiedAt), isNotNull(users.passwordHash), ne(users.role, 'admin'))
