import { eq } from 'drizzle-orm'
import { newId, TransientError } from '../../../core/index.ts'
import { evalEncadrants, evaluations } from '../../../schemas/db/eval.ts'
import type { EventHandlers } from '../../kit/define.ts'
import { contextOf, recordStage } from '../stage-read-model.ts'

/**
 * Records the stage completed and opens its encadrant's evaluation, pending,
 * once however often the event comes. A stage eval does not know the
 * encadrant of yet (its `stage.accepted`, or the encadrant's `encadrant.created`,
 * is still on its way) is retried, the stage left as it was: the evaluation
 * opens when the retry finds them. A stage already cancelled opens nothing.
 */
export const stageCompleted: NonNullable<EventHandlers['stage.completed']> = async ({ payload }, { tx }) => {
  const stage = await recordStage(tx, payload.stage_id, 'completed', { ...contextOf(payload), completedOn: payload.completion_date })
  if (stage.status !== 'completed') return
  if (!stage.encadrantId || !stage.studentId) {
    throw new TransientError('STAGE_ENCADRANT_UNKNOWN', `stage ${stage.stageId} completed before eval heard who supervises it`)
  }
  const [encadrant] = await tx.select({ userId: evalEncadrants.userId }).from(evalEncadrants).where(eq(evalEncadrants.encadrantId, stage.encadrantId))
  if (!encadrant) throw new TransientError('ENCADRANT_UNKNOWN', `encadrant ${stage.encadrantId} of stage ${stage.stageId} is not in the directory yet`)
  await tx
    .insert(evaluations)
    .values({ id: newId(), stageId: stage.stageId, studentId: stage.studentId, evaluatorId: encadrant.userId, evaluatorRole: 'encadrant', status: 'pending' })
    .onConflictDoNothing({ target: [evaluations.stageId, evaluations.evaluatorId] })
}
