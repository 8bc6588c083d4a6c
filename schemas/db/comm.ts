import { index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { runtimeTables, tokenVersionsTable } from './runtime.ts'

export const commSchema = pgSchema('comm')
/** Inbox, outbox and command results of comm: exported one by one so drizzle-kit sees them. */
export const commRuntime = runtimeTables(commSchema)
export const { inbox: commInbox, outbox: commOutbox, commandResults: commCommandResults } = commRuntime
/** The accounts' token versions and roles, kept by the comm worker from auth's events, checked by the comm API. */
export const commTokenVersions = tokenVersionsTable(commSchema)

export const notifications = commSchema.table(
  'notifications',
  {
    id: uuid('id').primaryKey(),
    /** The user (account) it is for. */
    userId: uuid('user_id').notNull(),
    /** What it is about, e.g. `welcome`. */
    type: text('type').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    /** What caused it (an event id, or e.g. `welcome:<student_id>`): one notification per cause. */
    dedupeKey: text('dedupe_key').notNull(),
    readAt: timestamp('read_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.createdAt), uniqueIndex('notifications_dedupe_idx').on(t.dedupeKey)],
)

/** student_id → user_id, kept from `student.*`, so later events about a student reach their account. */
export const commStudents = commSchema.table('students', {
  studentId: uuid('student_id').primaryKey(),
  userId: uuid('user_id').notNull(),
  email: text('email').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  /** Set by `student.deleted`: the row stays as a tombstone, so a late `student.created` brings nothing back. */
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
})
