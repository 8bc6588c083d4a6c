/** Commands the eval worker applies; the actor (an encadrant or an admin) travels with the command. */
import { Type, type Static } from '@sinclair/typebox'
import { Uuid } from '../events/fields.ts'

/** A score or a grade: 0 to 20, in steps of 0.25 (13.25 yes, 13.1 no). */
export const QuarterScore = Type.Number({ minimum: 0, maximum: 20, multipleOf: 0.25, description: '0 to 20, in steps of 0.25' })

/** A comment on an evaluation: at most 5,000 characters. */
const Comment = Type.String({ minLength: 1, maxLength: 5_000 })

/** The marks of an evaluation, one per criterion (at most 50). */
export const Criteria = Type.Array(Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), score: QuarterScore }), {
  maxItems: 50,
  description: 'one score per criterion, on the same scale',
})

/** Evaluates a completed stage as the actor: fills the actor's pending evaluation of it, or writes a new one. */
export const CreateEvaluation = Type.Object({
  stage_id: Uuid,
  score: QuarterScore,
  criteria: Type.Optional(Criteria),
  comment: Type.Optional(Comment),
})
export type CreateEvaluation = Static<typeof CreateEvaluation>

/** Changes a submitted evaluation; `comment: null` clears the comment. */
export const UpdateEvaluation = Type.Object({
  evaluation_id: Uuid,
  fields: Type.Partial(Type.Object({ score: QuarterScore, criteria: Criteria, comment: Type.Union([Comment, Type.Null()]) })),
})
export type UpdateEvaluation = Static<typeof UpdateEvaluation>

/** Assigns a stage's final grade: the one given, or the mean of its submitted evaluations rounded to 0.25. */
export const AssignGrade = Type.Object({ stage_id: Uuid, final_grade: Type.Optional(QuarterScore) })
export type AssignGrade = Static<typeof AssignGrade>
