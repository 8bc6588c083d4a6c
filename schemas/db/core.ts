import { integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { runtimeTables } from './runtime.ts'

export const coreSchema = pgSchema('core')
/** Inbox, outbox and command results of core: exported one by one so drizzle-kit sees them. */
export const coreRuntime = runtimeTables(coreSchema)
export const { inbox: coreInbox, outbox: coreOutbox, commandResults: coreCommandResults } = coreRuntime

/** The students core knows of, kept from `student.*` events. */
export const studentDirectory = coreSchema.table('student_directory', {
  studentId: uuid('student_id').primaryKey(),
  userId: uuid('user_id').notNull(),
  email: text('email').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  /** Set by `student.deleted`: the row stays as a tombstone, so a late `student.created` brings nothing back. */
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
})

/** A student's internship progress, opened when the student is created. */
export const stageTracking = coreSchema.table('stage_tracking', {
  id: uuid('id').primaryKey(),
  studentId: uuid('student_id').notNull().unique(),
  /** `not_started`, `in_progress` or `completed`. */
  status: text('status').notNull().default('not_started'),
  stagesCompleted: integer('stages_completed').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})
