import { sql } from 'drizzle-orm'
import { bigint, check, date, index, integer, numeric, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { runtimeTables, tokenVersionsTable } from './runtime.ts'

export const coreSchema = pgSchema('core')
/** Inbox, outbox and command results of core: exported one by one so drizzle-kit sees them. */
export const coreRuntime = runtimeTables(coreSchema)
export const { inbox: coreInbox, outbox: coreOutbox, commandResults: coreCommandResults, commandEffects: coreCommandEffects } = coreRuntime
/** The accounts' token versions and roles, kept by the core worker from auth's events, checked by the core API. */
export const coreTokenVersions = tokenVersionsTable(coreSchema)

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

/** The establishments core knows of, kept from `establishment.created`: an offer names one of them. */
export const coreEstablishments = coreSchema.table('establishments', {
  establishmentId: uuid('establishment_id').primaryKey(),
  name: text('name').notNull(),
  city: text('city').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})

/** The encadrants core knows of (encadrant id → account, establishment), kept from `encadrant.*`. */
export const coreEncadrants = coreSchema.table('encadrants', {
  encadrantId: uuid('encadrant_id').primaryKey(),
  userId: uuid('user_id').notNull().unique(),
  establishmentId: uuid('establishment_id'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})

/** A number of places at an establishment for a period. `places_taken` counts its stages that are not cancelled. */
export const offers = coreSchema.table(
  'offers',
  {
    id: uuid('id').primaryKey(),
    establishmentId: uuid('establishment_id').notNull(),
    title: text('title').notNull(),
    description: text('description'),
    speciality: text('speciality'),
    startDate: date('start_date').notNull(),
    endDate: date('end_date').notNull(),
    capacity: integer('capacity').notNull(),
    placesTaken: integer('places_taken').notNull().default(0),
    /** `open` or `closed`: a closed offer takes no new stage. */
    status: text('status').notNull().default('open'),
    createdBy: uuid('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('offers_establishment_idx').on(t.establishmentId), check('offers_places_check', sql`${t.placesTaken} >= 0 and ${t.placesTaken} <= ${t.capacity}`)],
)

/** One student's internship on one offer, from assignment to completion or cancellation. */
export const stages = coreSchema.table(
  'stages',
  {
    id: uuid('id').primaryKey(),
    studentId: uuid('student_id').notNull(),
    offerId: uuid('offer_id').notNull(),
    establishmentId: uuid('establishment_id').notNull(),
    /** The encadrant who accepted it (who supervises it). */
    encadrantId: uuid('encadrant_id'),
    status: text('status').notNull(),
    startDate: date('start_date').notNull(),
    endDate: date('end_date').notNull(),
    actualStartDate: date('actual_start_date'),
    completionDate: date('completion_date'),
    cancelReason: text('cancel_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('stages_student_idx').on(t.studentId),
    index('stages_offer_idx').on(t.offerId),
    index('stages_encadrant_idx').on(t.encadrantId),
    index('stages_due_idx').on(t.startDate).where(sql`${t.status} = 'accepted'`),
  ],
)

/** Every status a stage took: when, by whom, and why for a cancellation. */
export const stageHistory = coreSchema.table(
  'stage_history',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    stageId: uuid('stage_id').notNull(),
    status: text('status').notNull(),
    /** The account that made the change; null when core did (the start-date sweep). */
    byUserId: uuid('by_user_id'),
    byRole: text('by_role').notNull(),
    reason: text('reason'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('stage_history_stage_idx').on(t.stageId, t.id)],
)

/** Each stage's final grade, kept from `grade.assigned` for the tracking. */
export const stageGrades = coreSchema.table('stage_grades', {
  stageId: uuid('stage_id').primaryKey(),
  studentId: uuid('student_id').notNull(),
  finalGrade: numeric('final_grade', { precision: 5, scale: 2, mode: 'number' }).notNull(),
  assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull().defaultNow(),
})
