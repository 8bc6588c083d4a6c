import { and, eq } from 'drizzle-orm'
import { DomainError, newId } from '../../../core/index.ts'
import { evaluations, evaluationView } from '../../../schemas/db/eval.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { assertCompleted, assertMayEvaluate, assertNotGraded, lockStage, storedCriteria } from '../rules.ts'

/**
 * Submits the actor's evaluation of a completed stage: fills the pending one
 * the stage's completion opened for its encadrant, or writes a new one (an
 * admin's). 404 unknown stage, 403 neither its encadrant nor an admin, 409 a
 * stage not completed (naming its status), already graded, or already
 * evaluated by the actor.
 */
export const createEvaluation: NonNullable<CommandHandlers['eval.create_evaluation']> = async ({ payload, actor }, { tx, emit }) => {
  const stage = await lockStage(tx, payload.stage_id)
  await assertMayEvaluate(tx, stage, actor)
  assertCompleted(stage)
  await assertNotGraded(tx, stage.stageId)
  const evaluatorId = actor.user_id!
  const [mine] = await tx.select().from(evaluations).where(and(eq(evaluations.stageId, stage.stageId), eq(evaluations.evaluatorId, evaluatorId)))
  if (mine?.status === 'submitted') {
    throw new DomainError(409, 'EVALUATION_EXISTS', `you already evaluated this stage: change evaluation ${mine.id} instead`, [
      { path: '/stage_id', message: 'already evaluated by you' },
    ])
  }
  const now = new Date()
  const submitted = { status: 'submitted', score: payload.score, criteria: storedCriteria(payload.criteria ?? []), comment: payload.comment ?? null, updatedAt: now, submittedAt: now }
  const [evaluation] = mine
    ? await tx.update(evaluations).set(submitted).where(eq(evaluations.id, mine.id)).returning()
    : await tx
        .insert(evaluations)
        .values({ id: newId(), stageId: stage.stageId, studentId: stage.studentId!, evaluatorId, evaluatorRole: actor.role, createdAt: now, ...submitted })
        .returning()
  emit('evaluation.created', {
    evaluation_id: evaluation!.id,
    stage_id: stage.stageId,
    student_id: evaluation!.studentId,
    score: payload.score,
    // The encadrant who wrote it, when it is the stage's encadrant's (an admin's names none).
    ...(evaluation!.evaluatorRole === 'encadrant' && stage.encadrantId ? { encadrant_id: stage.encadrantId } : {}),
  })
  return { status: 201, body: evaluationView(evaluation!) }
}
