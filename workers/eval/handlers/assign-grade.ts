import { and, eq } from 'drizzle-orm'
import { DomainError, forbidden } from '../../../core/index.ts'
import { evaluations, grades, gradeView } from '../../../schemas/db/eval.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { assertNotGraded, lockStage } from '../rules.ts'

/** The mean of scores, rounded to the nearest 0.25 (a half-step rounds up). */
export function quarterMean(scores: number[]): number {
  // Scores are multiples of 0.25, so four times their sum is a whole number: the rounding is exact.
  const quarters = scores.reduce((sum, s) => sum + s * 4, 0)
  return Math.round(quarters / scores.length) / 4
}

/**
 * Assigns a stage's final grade, once (409 GRADE_ASSIGNED after), by an admin
 * (403): the grade given, or the mean of the stage's submitted evaluations
 * rounded to 0.25. A stage with no submitted evaluation is not graded (409).
 */
export const assignGrade: NonNullable<CommandHandlers['eval.assign_grade']> = async ({ payload, actor }, { tx, emit }) => {
  if (actor.role !== 'admin') throw forbidden('only an admin assigns a grade')
  const stage = await lockStage(tx, payload.stage_id)
  await assertNotGraded(tx, stage.stageId)
  const submitted = await tx
    .select({ score: evaluations.score })
    .from(evaluations)
    .where(and(eq(evaluations.stageId, stage.stageId), eq(evaluations.status, 'submitted')))
  if (submitted.length === 0) {
    throw new DomainError(409, 'NO_EVALUATION', `the stage (${stage.status}) has no submitted evaluation to grade from`, [
      { path: '/stage_id', message: 'no submitted evaluation' },
    ])
  }
  const finalGrade = payload.final_grade ?? quarterMean(submitted.map((e) => e.score!))
  const [grade] = await tx.insert(grades).values({ stageId: stage.stageId, studentId: stage.studentId!, finalGrade, assignedBy: actor.user_id! }).returning()
  emit('grade.assigned', { student_id: grade!.studentId, stage_id: grade!.stageId, final_grade: grade!.finalGrade })
  return { status: 201, body: gradeView(grade!) }
}
