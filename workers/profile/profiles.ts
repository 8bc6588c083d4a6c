import { eq, getTableColumns, sql, type AnyColumn, type Table } from 'drizzle-orm'
import type { Tx } from '../../core/index.ts'
import { accounts, encadrants, students } from '../../schemas/db/profile.ts'
import type { EncadrantCreated, StudentCreated } from '../../schemas/events/profile.ts'
import type { EncadrantRow, StudentRow } from './views.ts'

/*
 * A user has at most one profile, student or encadrant: a user id or an email
 * (any case) already used by either kind means the profile exists. The unique
 * indexes of each table make the insert itself the check for its own kind.
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

/** A row as `returning *` gives it (column names, driver values), as drizzle would have read it. */
function rowOf<T extends Table>(table: T, raw: Record<string, unknown>): T['$inferSelect'] {
  const row: Record<string, unknown> = {}
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name]
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value)
  }
  return row as T['$inferSelect']
}

/**
 * Inserts a profile into `table` unless one exists, of either kind, for its
 * user or email; one statement, whatever it has to look up.
 */
async function insertProfile<T extends ProfileTable>(tx: Tx, table: T, other: ProfileTable, values: Record<string, unknown> & { email: string; id?: string | undefined; userId?: string | undefined }): Promise<T['$inferSelect'] | undefined> {
  const columns = getTableColumns(table) as Record<string, AnyColumn>
  const { userId, ...rest } = values
  const given = Object.entries({ ...rest, id: values.id ?? crypto.randomUUID() }).filter(([, v]) => v !== undefined)
  const owner = userId
    ? sql`${userId}::uuid`
    : sql`coalesce((select ${accounts.userId} from ${accounts} where lower(${accounts.email}) = lower(${values.email})), ${crypto.randomUUID()}::uuid)`
  const rows = await tx.execute<Record<string, unknown>>(sql`
    insert into ${table} (${sql.join([...given.map(([k]) => sql.identifier(columns[k]!.name)), sql.identifier(columns.userId!.name)], sql`, `)})
    select ${sql.join([...given.map(([k, v]) => sql`${v}::${sql.raw(columns[k]!.getSQLType())}`), sql`o.user_id`], sql`, `)}
    from (select ${owner} as user_id) as o
    where not exists (select 1 from ${other} where ${other.userId} = o.user_id or lower(${other.email}) = lower(${values.email}))
    on conflict do nothing
    returning *`)
  return rows[0] ? rowOf(table, rows[0]) : undefined
}

/** Inserts the student unless a profile exists for that user or email; undefined when one does. */
export function insertStudent(tx: Tx, values: NewStudent): Promise<StudentRow | undefined> {
  return insertProfile(tx, students, encadrants, values)
}

/** Inserts the encadrant unless a profile exists for that user or email; undefined when one does. */
export function insertEncadrant(tx: Tx, values: NewEncadrant): Promise<EncadrantRow | undefined> {
  return insertProfile(tx, encadrants, students, values)
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

/** Keeps the account directory from `user.created` / `user.deleted`. */
export async function rememberAccount(tx: Tx, userId: string, email: string): Promise<void> {
  await tx.insert(accounts).values({ userId, email }).onConflictDoNothing()
}

export async function forgetAccount(tx: Tx, userId: string): Promise<void> {
  await tx.delete(accounts).where(eq(accounts.userId, userId))
}
