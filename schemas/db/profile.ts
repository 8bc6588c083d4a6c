import { sql } from 'drizzle-orm'
import { boolean, index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { runtimeTables, tokenVersionsTable } from './runtime.ts'

export const profileSchema = pgSchema('profile')
/** Inbox, outbox and command results of profile: exported one by one so drizzle-kit sees them. */
export const profileRuntime = runtimeTables(profileSchema)
export const { inbox: profileInbox, outbox: profileOutbox, commandResults: profileCommandResults, commandEffects: profileCommandEffects } = profileRuntime
/** The accounts' token versions and roles, kept by the profile worker from auth's events, checked by the profile API. */
export const profileTokenVersions = tokenVersionsTable(profileSchema)

export const students = profileSchema.table(
  'students',
  {
    id: uuid('id').primaryKey(),
    /** The account of the student; assigned here when the student is created before the account. */
    userId: uuid('user_id').notNull().unique(),
    email: text('email').notNull(),
    cin: text('cin'),
    phone: text('phone'),
    firstName: text('first_name'),
    lastName: text('last_name'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('students_email_lower_idx').on(sql`lower(${t.email})`)],
)

export const encadrants = profileSchema.table(
  'encadrants',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull().unique(),
    email: text('email').notNull(),
    phone: text('phone'),
    firstName: text('first_name'),
    lastName: text('last_name'),
    speciality: text('speciality'),
    /** The establishment the encadrant belongs to; one with encadrants cannot be deleted. */
    establishmentId: uuid('establishment_id').references(() => establishments.id, { onDelete: 'restrict' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('encadrants_email_lower_idx').on(sql`lower(${t.email})`), index('encadrants_establishment_idx').on(t.establishmentId)],
)

export const establishments = profileSchema.table('establishments', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  city: text('city').notNull(),
  address: text('address'),
  phone: text('phone'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})

/** The accounts auth announced (`user.created`, `user.deleted`): a profile made for an email that has one takes its user id. */
export const accounts = profileSchema.table(
  'accounts',
  {
    userId: uuid('user_id').primaryKey(),
    email: text('email').notNull(),
    /** `student`, `encadrant` or `admin`, as `user.created` said; null for an account remembered before roles were kept. */
    role: text('role'),
    /** Set by `user.verified`: the owner proved the address. */
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    /**
     * Whether the account was made by signing up (its `user.created` named no profile): while its
     * address is not verified, an admin's student or encadrant for that address takes it over.
     */
    signedUp: boolean('signed_up').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('accounts_email_lower_idx').on(sql`lower(${t.email})`)],
)

/**
 * Who supervises whom, kept from core's `stage.accepted` and `stage.cancelled`:
 * an encadrant reads the profile of a student whose stage they accepted while
 * that stage is `active` (not cancelled). A cancellation heard before its
 * acceptance leaves an inactive row, which the acceptance completes without
 * making it active; a column it could not fill is null until then.
 */
export const supervisions = profileSchema.table(
  'supervisions',
  {
    stageId: uuid('stage_id').primaryKey(),
    studentId: uuid('student_id'),
    encadrantId: uuid('encadrant_id'),
    active: boolean('active').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('supervisions_encadrant_student_idx').on(t.encadrantId, t.studentId)],
)
