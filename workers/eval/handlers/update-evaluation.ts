import { eq } from 'drizzle-orm'
import { DomainError, forbidden, notFound } from '../../../core/index.ts'
import { evaluations, evaluationView } from '../../../schemas/db/eval.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { assertNotGraded, lockStage, storedCriteria } from '../rules.ts'

/**
 * Changes a submitted evaluation, by its author or an admin (403 otherwise):
 * `evaluation.updated` when something changed, nothing emitted when nothing
 * did. 409 GRADE_ASSIGNED once the stage's grade is assigned; 409 for an
 * evaluation still pending (it is submitted with POST, not changed).
 */
export const updateEvaluation: NonNullable<CommandHandlers['eval.update_evaluation']> = async ({ payload, actor }, { tx, emit }) => {
  const [found] = await tx.select({ stageId: evaluations.stageId }).from(evaluations).where(eq(evaluations.id, payload.evaluation_id))
  if (!found) throw notFound('evaluation')
  await lockStage(tx, found.stageId)
  const [row] = await tx.select().from(evaluations).where(eq(evaluations.id, payload.evaluation_id))
  if (actor.role !== 'admin' && row!.evaluatorId !== actor.user_id) throw forbidden('only its author or an admin changes an evaluation')
  await assertNotGraded(tx, row!.stageId)
  if (row!.status !== 'submitted') {
    throw new DomainError(409, 'EVALUATION_PENDING', `the evaluation is ${row!.status}: submit it first (POST /evaluations)`)
  }
  const { score, comment } = payload.fields
  const criteria = payload.fields.criteria && storedCriteria(payload.fields.criteria)
  const set = {
    ...(score !== undefined && score !== row!.score ? { score } : {}),
    ...(criteria !== undefined && JSON.stringify(criteria) !== JSON.stringify(row!.criteria) ? { criteria } : {}),
    ...(comment !== undefined && comment !== row!.comment ? { comment } : {}),
  }
  if (Object.keys(set).length === 0) return { status: 200, body: evaluationView(row!) }
  const [updated] = await tx.update(evaluations).set({ ...set, updatedAt: new Date() }).where(eq(evaluations.id, row!.id)).returning()
  emit('evaluation.updated', { evaluation_id: updated!.id, new_score: updated!.score!, stage_id: updated!.stageId, student_id: updated!.studentId })
  return { status: 200, body: evaluationView(updated!) }
}
