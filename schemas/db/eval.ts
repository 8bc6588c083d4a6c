import { Type, type Static } from '@sinclair/typebox'
import { Id, Moment, Nullable } from '../views/fields.ts'
import { sql } from 'drizzle-orm'
import { check, index, jsonb, numeric, pgSchema, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core'
import { runtimeTables, tokenVersionsTable } from './runtime.ts'

export const evalSchema = pgSchema('eval')
/** Inbox, outbox and command results of eval: exported one by one so drizzle-kit sees them. */
export const evalRuntime = runtimeTables(evalSchema)
export const { inbox: evalInbox, outbox: evalOutbox, commandResults: evalCommandResults, commandEffects: evalCommandEffects } = evalRuntime
/** The accounts' token versions and roles, kept from `user.*`, by which the API refuses a retired token. */
export const evalTokenVersions = tokenVersionsTable(evalSchema)

/** A score or a grade: 0–20 in steps of 0.25, stored exactly. */
const score = (name: string) => numeric(name, { precision: 5, scale: 2, mode: 'number' })

/**
 * The stages eval knows of, kept from `stage.*` events (core owns them): who
 * is evaluated, by whom, and how far the stage got. Fields an event did not
 * carry stay null until one does.
 */
export const evalStages = evalSchema.table(
  'stages',
  {
    stageId: uuid('stage_id').primaryKey(),
    studentId: uuid('student_id'),
    offerId: uuid('offer_id'),
    establishmentId: uuid('establishment_id'),
    encadrantId: uuid('encadrant_id'),
    /** `created`, `accepted`, `started`, `completed` or `cancelled`: only ever moves forward. */
    status: text('status').notNull(),
    /** Dates as the events gave them (ISO 8601 dates or date-times). */
    startDate: text('start_date'),
    endDate: text('end_date'),
    startedOn: text('started_on'),
    completedOn: text('completed_on'),
    cancelReason: text('cancel_reason'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('stages_student_id_idx').on(t.studentId), index('stages_encadrant_id_idx').on(t.encadrantId)],
)

/** Which account each encadrant is, kept from `encadrant.*`: whose evaluations an API caller writes. */
export const evalEncadrants = evalSchema.table(
  'encadrants',
  {
    encadrantId: uuid('encadrant_id').primaryKey(),
    userId: uuid('user_id').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('encadrants_user_id_idx').on(t.userId)],
)

/** The students eval knows of, kept from `student.*` events (the shape of core's, for `rememberStudent`). */
export const evalStudents = evalSchema.table(
  'students',
  {
    studentId: uuid('student_id').primaryKey(),
    userId: uuid('user_id').notNull(),
    email: text('email').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set by `student.deleted`: the row stays as a tombstone, so a late `student.created` brings nothing back. */
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [index('students_user_id_idx').on(t.userId)],
)

/**
 * One evaluator's evaluation of one completed stage: opened `pending` for the
 * stage's encadrant when the stage completes, `submitted` once it has a score.
 * One per stage and evaluator.
 */
export const evaluations = evalSchema.table(
  'evaluations',
  {
    id: uuid('id').primaryKey(),
    stageId: uuid('stage_id').notNull(),
    studentId: uuid('student_id').notNull(),
    /** The user id of who writes it: the stage's encadrant's account, or an admin's. */
    evaluatorId: uuid('evaluator_id').notNull(),
    /** `encadrant` or `admin`. */
    evaluatorRole: text('evaluator_role').notNull(),
    /** `pending` or `submitted`. */
    status: text('status').notNull(),
    /** Null while pending. */
    score: score('score'),
    /** `[{name, score}]`, each score on the same scale. */
    criteria: jsonb('criteria').$type<Criterion[]>().notNull().default([]),
    comment: text('comment'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    submittedAt: timestamp('submitted_at', { withTimezone: true }),
  },
  (t) => [
    unique('evaluations_stage_evaluator_unique').on(t.stageId, t.evaluatorId),
    index('evaluations_student_id_idx').on(t.studentId),
    index('evaluations_evaluator_id_idx').on(t.evaluatorId),
    check('evaluations_submitted_has_score', sql`${t.status} <> 'submitted' or ${t.score} is not null`),
  ],
)

/** The final grade of a stage: assigned once. */
export const grades = evalSchema.table(
  'grades',
  {
    stageId: uuid('stage_id').primaryKey(),
    studentId: uuid('student_id').notNull(),
    finalGrade: score('final_grade').notNull(),
    /** The admin who assigned it. */
    assignedBy: uuid('assigned_by').notNull(),
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('grades_student_id_idx').on(t.studentId)],
)

export interface Criterion {
  name: string
  score: number
}

export type EvaluationRow = typeof evaluations.$inferSelect
export type GradeRow = typeof grades.$inferSelect

const Score = Type.Number({ minimum: 0, maximum: 20, multipleOf: 0.25 })

export const EvaluationView = Type.Object({
  id: Id,
  stage_id: Id,
  student_id: Id,
  evaluator_id: Id,
  evaluator_role: Type.String({ description: 'encadrant or admin' }),
  status: Type.String({ description: 'pending (to be written) or submitted' }),
  score: Nullable(Score),
  criteria: Type.Array(Type.Object({ name: Type.String(), score: Score })),
  comment: Nullable(Type.String()),
  created_at: Moment,
  updated_at: Moment,
  submitted_at: Nullable(Moment),
})
export type EvaluationView = Static<typeof EvaluationView>

/** An evaluation as the API shows it, read by its GETs and answered by the worker's commands. */
export function evaluationView(e: EvaluationRow): EvaluationView {
  return {
    id: e.id,
    stage_id: e.stageId,
    student_id: e.studentId,
    evaluator_id: e.evaluatorId,
    evaluator_role: e.evaluatorRole,
    status: e.status,
    score: e.score,
    criteria: e.criteria,
    comment: e.comment,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
    submitted_at: e.submittedAt?.toISOString() ?? null,
  }
}

export const GradeView = Type.Object({ stage_id: Id, student_id: Id, final_grade: Score, assigned_by: Id, assigned_at: Moment })
export type GradeView = Static<typeof GradeView>

/** A stage's final grade as the API shows it. */
export function gradeView(g: GradeRow): GradeView {
  return {
    stage_id: g.stageId,
    student_id: g.studentId,
    final_grade: g.finalGrade,
    assigned_by: g.assignedBy,
    assigned_at: g.assignedAt.toISOString(),
  }
}
