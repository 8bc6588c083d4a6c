import { eq, sql } from 'drizzle-orm'
import { users } from '../../../schemas/db/auth.ts'
import type { Emit, Tx } from '../../../core/index.ts'
import type { Catalogue, EventHandlers } from '../../kit/define.ts'
import { queueTokenEmail } from '../mail.ts'
import { removeAccount, unverifiedSignUp } from '../removal.ts'
import type { AuthSettings } from '../settings.ts'
import { SET_PASSWORD } from '../tokens.ts'

interface Person {
  /** The student or encadrant id. */
  profile_id: string
  user_id: string
  email: string
  first_name?: string | null
  last_name?: string | null
}

/**
 * Cascade 2: a profile made before its account (an admin created the student).
 * Creates the account with the profile's user id and mails a set-password link,
 * unless an account with that id or email exists (cascade 1 comes back here).
 * An account of that email that is an unverified sign-up does not hold it: it
 * is removed (its password and sessions with it) and the profile's is made.
 */
async function ensureAccount(tx: Tx, emit: Emit<Catalogue>, settings: AuthSettings, role: 'student' | 'encadrant', p: Person) {
  const email = p.email.trim()
  const [own] = await tx.select({ id: users.id }).from(users).where(eq(users.id, p.user_id))
  if (own) return
  const [holder] = await tx.select({ id: users.id, signUp: sql<boolean>`${unverifiedSignUp}` }).from(users).where(sql`lower(${users.email}) = lower(${email})`)
  if (holder && !holder.signUp) return
  if (holder) await removeAccount(tx, emit, holder.id)
  const localPart = email.split('@')[0]!
  const firstName = p.first_name ?? localPart
  const lastName = p.last_name ?? firstName
  const [user] = await tx.insert(users).values({ id: p.user_id, email, role, firstName, lastName }).onConflictDoNothing().returning()
  if (!user) return
  await queueTokenEmail(tx, settings, user, SET_PASSWORD)
  emit('user.created', { user_id: user.id, email: user.email, role, first_name: firstName, last_name: lastName, profile_id: p.profile_id })
}

export const studentCreated =
  (settings: AuthSettings): NonNullable<EventHandlers['student.created']> =>
  (event, { tx, emit }) =>
    ensureAccount(tx, emit, settings, 'student', { ...event.payload, profile_id: event.payload.student_id })

export const encadrantCreated =
  (settings: AuthSettings): NonNullable<EventHandlers['encadrant.created']> =>
  (event, { tx, emit }) =>
    ensureAccount(tx, emit, settings, 'encadrant', { ...event.payload, profile_id: event.payload.encadrant_id })
