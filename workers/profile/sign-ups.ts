import { and, eq, isNull, or, sql } from 'drizzle-orm'
import type { Tx } from '../../core/index.ts'
import { accounts, encadrants, students } from '../../schemas/db/profile.ts'
import type { StudentDeleted } from '../../schemas/events/profile.ts'

/**
 * An address that only a sign-up holds, never verified, is not taken: an
 * admin's student or encadrant for it takes it over from the profile the
 * sign-up got under that address (one an admin deleted and makes again stays
 * with its account, as any other). The sign-up's profile,
 * of either kind, is removed (`student.deleted` for a student: what the
 * caller emits, by address in lower case) and its account forgotten here, so
 * the admin's profile gets a user of its own; auth, hearing of that profile,
 * removes the sign-up's account and makes the admin's, mailing its link.
 */
export async function releaseSignUps(tx: Tx, emails: string[]): Promise<Map<string, StudentDeleted | undefined>> {
  const lowered = [...new Set(emails.map((e) => e.toLowerCase()))]
  const released = new Map<string, StudentDeleted | undefined>()
  if (lowered.length === 0) return released
  const holds = (table: typeof students | typeof encadrants) =>
    sql`exists (select 1 from ${table} as p where p.user_id = ${accounts.userId} and lower(p.email) = lower(${accounts.email}))`
  const held = await tx
    .delete(accounts)
    .where(and(eq(accounts.signedUp, true), isNull(accounts.verifiedAt), sql`lower(${accounts.email}) in ${lowered}`, or(holds(students), holds(encadrants))))
    .returning({ userId: accounts.userId, email: accounts.email })
  for (const { userId, email } of held) {
    const [student] = await tx.delete(students).where(eq(students.userId, userId)).returning({ id: students.id })
    await tx.delete(encadrants).where(eq(encadrants.userId, userId))
    released.set(email.toLowerCase(), student && { student_id: student.id, user_id: userId })
  }
  return released
}
