import { and, eq, getTableColumns, isNull, sql, type AnyColumn, type SQL, type Table } from 'drizzle-orm'
import type { Tx } from '../../core/index.ts'
import { accounts, encadrants, students } from '../../schemas/db/profile.ts'
import type { EncadrantCreated, StudentCreated } from '../../schemas/events/profile.ts'
import type { EncadrantRow, StudentRow } from '../../schemas/views/profile.ts'

/*
 * A user has at most one profile, student or encadrant: a user id or an email
 * (any case) already used by either kind means the profile exists. The unique
 * indexes of each table make the insert itself the check for its own kind.
 * A profile is made only for an account of its kind: a user id or an email
 * whose account (the directory's) has another role gets none, nor a user id
 * given with the email of another account.
 */

/**
 * `id` is new unless given: a profile first known elsewhere keeps its id.
 * `userId` unless given is that of the account already registered with this
 * email (a profile deleted and made again stays its owner's), else a new one
 * that auth's account will take.
 */
type NewStudent = Omit<typeof students.$inferInsert, 'id' | 'userId' | 'createdAt' | 'updatedAt'> & { id?: string | undefined; userId?: string | undefined }
type NewEncadrant = Omit<typeof encadrants.$inferInsert, 'id' | 'userId' | 'createdAt' | 'updatedAt'> & { id?: string | undefined; userId?: string | undefined }
type ProfileTable = typeof students | typeof encadrants

/** A row as `returning` gives it (column names, driver values), as drizzle would have read it. */
function rowOf<T extends Table>(table: T, raw: Record<string, unknown>): T['$inferSelect'] {
  const row: Record<string, unknown> = {}
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name]
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value)
  }
  return row as T['$inferSelect']
}

type NewProfile = Record<string, unknown> & { email: string; id?: string | undefined; userId?: string | undefined }

/** The statement of `insertProfiles` for one table, made once: the rows travel as one JSON parameter. */
const insertStatements = new Map<ProfileTable, (rows: string) => SQL>()

function insertStatement(table: ProfileTable, other: ProfileTable): (rows: string) => SQL {
  const made = insertStatements.get(table)
  if (made) return made
  // Every column but the timestamps (their defaults) and the user id (resolved below).
  const columns = Object.values(getTableColumns(table) as Record<string, AnyColumn>).filter((c) => !c.hasDefault && c.name !== 'user_id')
  const names = sql.raw(columns.map((c) => `"${c.name}"`).join(', '))
  const picked = sql.raw(columns.map((c) => `v."${c.name}"`).join(', '))
  const shape = sql.raw([...columns.map((c) => `"${c.name}" ${c.getSQLType()}`), 'user_id uuid', 'new_user_id uuid', 'n integer'].join(', '))
  // The role of the accounts this kind of profile belongs to.
  const role = sql.raw(table === students ? `'student'` : `'encadrant'`)
  // The columns by name, not `*`: a column added later must not change what the prepared statement returns.
  const returned = sql.raw(Object.values(getTableColumns(table) as Record<string, AnyColumn>).map((c) => `"${c.name}"`).join(', '))
  const statement = (rows: string) => sql`
    insert into ${table} (${names}, "user_id")
    select ${picked}, o.user_id
    from json_to_recordset(${rows}::json) as v(${shape})
    cross join lateral (select coalesce(v.user_id, (select a.user_id from ${accounts} as a where lower(a.email) = lower(v.email)), v.new_user_id) as user_id) as o
    where not exists (select 1 from ${other} as p where p.user_id = o.user_id)
      and not exists (select 1 from ${other} as p where lower(p.email) = lower(v.email))
      and not exists (select 1 from ${accounts} as a where a.user_id = o.user_id and a.role <> ${role})
      and not exists (select 1 from ${accounts} as a where lower(a.email) = lower(v.email) and (a.role <> ${role} or a.user_id <> o.user_id))
    order by v.n
    on conflict do nothing
    returning ${returned}`
  insertStatements.set(table, statement)
  return statement
}

/**
 * Inserts profiles into `table`, each unless one exists, of either kind, for
 * its user or email (also one earlier in the same list), or its user or email
 * is an account of another role; one statement for all,
 * whatever it has to look up. Answers in order: the row, or undefined.
 */
async function insertProfiles<T extends ProfileTable>(tx: Tx, table: T, other: ProfileTable, values: NewProfile[]): Promise<(T['$inferSelect'] | undefined)[]> {
  const columns = getTableColumns(table) as Record<string, AnyColumn>
  const rows = values.map(({ userId, ...given }, n) => {
    const row: Record<string, unknown> = { n, id: given.id ?? crypto.randomUUID(), user_id: userId ?? null, new_user_id: crypto.randomUUID() }
    for (const [key, value] of Object.entries(given)) if (key !== 'id' && value !== undefined) row[columns[key]!.name] = value
    return row
  })
  const inserted = await tx.execute<Record<string, unknown>>(insertStatement(table, other)(JSON.stringify(rows)))
  // PostgreSQL answers uuids in lower case, whatever case they were given in.
  const byId = new Map(inserted.map((raw) => [String(raw.id).toLowerCase(), rowOf(table, raw)]))
  return rows.map((r) => byId.get(String(r.id).toLowerCase()))
}

/** Inserts students, each unless a profile exists for its user or email or its account is not a student's; undefined for those. */
export function insertStudents(tx: Tx, values: NewStudent[]): Promise<(StudentRow | undefined)[]> {
  return insertProfiles(tx, students, encadrants, values)
}

/** Inserts the student unless a profile exists for that user or email or its account is not a student's; undefined then. */
export async function insertStudent(tx: Tx, values: NewStudent): Promise<StudentRow | undefined> {
  return (await insertStudents(tx, [values]))[0]
}

/** Inserts the encadrant unless a profile exists for that user or email or its account is not an encadrant's; undefined then. */
export async function insertEncadrant(tx: Tx, values: NewEncadrant): Promise<EncadrantRow | undefined> {
  return (await insertProfiles(tx, encadrants, students, [values]))[0]
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
    establishment_id: e.establishmentId ?? null,
  }
}

/**
 * Keeps the account directory from `user.created` / `user.deleted`; an account remembered without its
 * role takes it. `signedUp`: the account was made by signing up, not for a profile.
 */
export async function rememberAccount(tx: Tx, userId: string, email: string, role: string, signedUp = false): Promise<void> {
  await tx.insert(accounts).values({ userId, email, role, signedUp }).onConflictDoNothing()
  await tx.update(accounts).set({ role }).where(and(eq(accounts.userId, userId), isNull(accounts.role)))
}

/** The account's owner proved its address (`user.verified`): it is no longer a sign-up anyone may take over. */
export async function accountVerified(tx: Tx, userId: string): Promise<void> {
  await tx.update(accounts).set({ verifiedAt: new Date() }).where(and(eq(accounts.userId, userId), isNull(accounts.verifiedAt)))
}

export async function forgetAccount(tx: Tx, userId: string): Promise<void> {
  await tx.delete(accounts).where(eq(accounts.userId, userId))
}
