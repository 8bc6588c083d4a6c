import { t } from 'elysia'
import { Type, type Static } from '@sinclair/typebox'
import { QuarterScore } from '../../../schemas/commands/eval.ts'
import { Id, Moment, Nullable } from '../../../schemas/views/fields.ts'
import { feature } from '../../kit/openapi.ts'

export const grades = feature('grades', "Each stage's final grade, assigned once by an admin, and a student's transcript")

export const Transcript = Type.Object({
  student_id: Id,
  stages: Type.Array(
    Type.Object({
      stage_id: Id,
      offer_id: Nullable(Id),
      establishment_id: Nullable(Id),
      encadrant_id: Nullable(Id),
      completed_on: Nullable(Type.String({ format: 'date' })),
      final_grade: Type.Number(),
      assigned_at: Moment,
    }),
  ),
  mean: Nullable(Type.Number({ description: 'of the final grades, to 0.01; null before the first' })),
})
export type Transcript = Static<typeof Transcript>

export const GradeAssign = t.Object({
  stage_id: t.String({ format: 'uuid' }),
  /** Omitted: the mean of the stage's submitted evaluations, rounded to 0.25. */
  final_grade: t.Optional(QuarterScore),
})

export const TranscriptQuery = t.Object({
  student_id: t.Optional(t.String({ format: 'uuid', description: "the student whose transcript; a student's own when omitted" })),
})
