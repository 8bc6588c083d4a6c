import { integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { runtimeTables, tokenVersionsTable } from './runtime.ts'

export const coreSchema = pgSchema('core')
/** Inbox, outbox and command results of core: exported one by one so drizzle-kit sees them. */
export const coreRuntime = runtimeTables(coreSchema)
export const { inbox: coreInbox, outbox: coreOutbox, commandResults: coreCommandResults } = coreRuntime
/** The accounts' token versions and roles, kept by the core worker from auth's events, checked by the core API. */
export const coreTokenVersions = tokenVersionsTable(coreSchema)

/** The students core knows of, kept from `student.*` events. */
export const studentDirectory = coreSchema.table('student_directory', {
  studentId: uuid('student_id').primaryKey(),
  userId: uuid('user_id').notNull(),
  email: text('email').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
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
