/** Events produced by the eval service: evaluations and final grades, on the 0–20 scale. */
import { Type, type Static } from '@sinclair/typebox'
import { Score, Uuid } from './fields.ts'

export const EvaluationCreated = Type.Object(
  { evaluation_id: Uuid, stage_id: Uuid, student_id: Uuid, score: Score, encadrant_id: Type.Optional(Uuid) },
  { description: 'A completed stage was evaluated.' },
)
export type EvaluationCreated = Static<typeof EvaluationCreated>

export const EvaluationUpdated = Type.Object(
  { evaluation_id: Uuid, new_score: Score, stage_id: Type.Optional(Uuid), student_id: Type.Optional(Uuid) },
  { description: 'An evaluation score was changed.' },
)
export type EvaluationUpdated = Static<typeof EvaluationUpdated>

export const GradeAssigned = Type.Object(
  { student_id: Uuid, stage_id: Uuid, final_grade: Score },
  { description: 'The final grade of a stage was assigned to the student.' },
)
export type GradeAssigned = Static<typeof GradeAssigned>
