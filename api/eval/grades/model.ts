import { t } from 'elysia'
import { QuarterScore } from '../../../schemas/commands/eval.ts'

export const GradeAssign = t.Object({
  stage_id: t.String({ format: 'uuid' }),
  /** Omitted: the mean of the stage's submitted evaluations, rounded to 0.25. */
  final_grade: t.Optional(QuarterScore),
})

export const TranscriptQuery = t.Object({
  student_id: t.Optional(t.String({ format: 'uuid', description: "the student whose transcript; a student's own when omitted" })),
})
