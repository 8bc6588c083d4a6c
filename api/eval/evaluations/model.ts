import { t } from 'elysia'
import { QuarterScore } from '../../../schemas/commands/eval.ts'
import { clearable, text } from '../../kit/fields.ts'
import { feature } from '../../kit/openapi.ts'
import { PageQuery } from '../../kit/paging.ts'

export const evaluations = feature('evaluations', "A completed stage's evaluation by its encadrant (or an admin): a score out of 20, criteria and a comment, changed until the grade is assigned")

const Uuid = t.String({ format: 'uuid' })

const Criteria = t.Array(t.Object({ name: text(200), score: QuarterScore }), { maxItems: 50, description: 'one score per criterion, on the same scale' })

export const EvaluationCreate = t.Object({
  stage_id: Uuid,
  score: QuarterScore,
  criteria: t.Optional(Criteria),
  comment: t.Optional(text(5_000)),
})

/** A partial update: the fields given are changed (`comment: null` clears it), any other field is ignored. */
export const EvaluationUpdate = t.Object({
  score: t.Optional(QuarterScore),
  criteria: t.Optional(Criteria),
  comment: clearable(5_000),
})

export const EvaluationParams = t.Object({ id: Uuid })

export const EvaluationQuery = t.Object({
  ...PageQuery.properties,
  stage_id: t.Optional(Uuid),
  student_id: t.Optional(Uuid),
  status: t.Optional(t.Union([t.Literal('pending'), t.Literal('submitted')])),
})
