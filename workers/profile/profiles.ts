import { eq, or, sql } from 'drizzle-orm'
import type { Tx } from '../../core/index.ts'
import { accounts, encadrants, students } from '../../schemas/db/profile.ts'
import type { EncadrantCreated, StudentCreated } from '../../schemas/events/profile.ts'
import type { EncadrantRow, StudentRow } from './views.ts'

/*
 * A user has at most one profile, student or encadrant: a user id or an email
 * (any case) already used by either kind means the profile exists. The unique
 * indexes of each table make the insert itself the check for its own kind.
 */

/** `id` is new unless given: a profile first known elsewhere keeps its id. */
type NewStudent = Omit<typeof students.$inferInsert, 'id' | 'createdAt' | 'updatedAt'> & { id?: string | undefined }
type NewEncadrant = Omit<typeof encadrants.$inferInsert, 'id' | 'createdAt' | 'updatedAt'> & { id?: string | undefined }

async function isStudent(tx: Tx, userId: string, email: string): Promise<boolean> {
  const found = await tx.select({ id: students.id }).from(students).where(or(eq(students.userId, userId), sql`lower(${students.email}) = lower(${email})`)).limit(1)
  return found.length > 0
}

async function isEncadrant(tx: Tx, userId: string, email: string): Promise<boolean> {
  const found = await tx.select({ id: encadrants.id }).from(encadrants).where(or(eq(encadrants.userId, userId), sql`lower(${encadrants.email}) = lower(${email})`)).limit(1)
  return found.length > 0
}

/** Inserts the student unless a profile exists for that user or email; undefined when one does. */
export async function insertStudent(tx: Tx, values: NewStudent): Promise<StudentRow | undefined> {
  if (await isEncadrant(tx, values.userId, values.email)) return undefined
  const [row] = await tx.insert(students).values({ ...values, id: values.id ?? crypto.randomUUID() }).onConflictDoNothing().returning()
  return row
}

/** Inserts the encadrant unless a profile exists for that user or email; undefined when one does. */
export async function insertEncadrant(tx: Tx, values: NewEncadrant): Promise<EncadrantRow | undefined> {
  if (await isStudent(tx, values.userId, values.email)) return undefined
  const [row] = await tx.insert(encadrants).values({ ...values, id: values.id ?? crypto.randomUUID() }).onConflictDoNothing().returning()
  return row
}

/** The `student.created` payload of a new student: optional fields only when set. */
export function studentCreated(s: StudentRow): StudentCreated {
  return {
    student_id: s.id,
    user_id: s.userId,
    email: s.email,
    ...(s.cin ? { cin: s.cin } : {}),
    ...(s.phone ? { phone: s.phone } : {}),
    ...(s.firstName ? { first_name: s.firstName } : {}),
    ...(s.lastName ? { last_name: s.lastName } : {}),
  }
}

/** The `encadrant.created` payload of a new encadrant: optional fields only when set. */
export function encadrantCreated(e: EncadrantRow): EncadrantCreated {
  return {
    encadrant_id: e.id,
    user_id: e.userId,
    email: e.email,
    ...(e.phone ? { phone: e.phone } : {}),
    ...(e.firstName ? { first_name: e.firstName } : {}),
    ...(e.lastName ? { last_name: e.lastName } : {}),
  }
}

/**
 * The user id a new profile gets: the one given, else that of the account
 * already registered with this email (a profile deleted and made again must
 * stay its owner's), else a new one that auth's account will take.
 */
export async function userIdFor(tx: Tx, email: string, given?: string): Promise<string> {
  if (given) return given
  const [account] = await tx.select({ userId: accounts.userId }).from(accounts).where(sql`lower(${accounts.email}) = lower(${email})`)
  return account?.userId ?? crypto.randomUUID()
}

/** Keeps the account directory from `user.created` / `user.deleted`. */
export async function rememberAccount(tx: Tx, userId: string, email: string): Promise<void> {
  await tx.insert(accounts).values({ userId, email }).onConflictDoNothing()
}

export async function forgetAccount(tx: Tx, userId: string): Promise<void> {
  await tx.delete(accounts).where(eq(accounts.userId, userId))
}
