import { sql } from 'drizzle-orm'
import { supervisions } from '../../../schemas/db/profile.ts'
import type { EventHandlers } from '../../kit/define.ts'

/** The stage's encadrant supervises its student from now on, unless the stage's cancellation came first. */
export const stageAccepted: NonNullable<EventHandlers['stage.accepted']> = async (event, { tx }) => {
  const { stage_id, student_id, encadrant_id } = event.payload
  await tx
    .insert(supervisions)
    .values({ stageId: stage_id, studentId: student_id, encadrantId: encadrant_id, active: true })
    .onConflictDoUpdate({ target: supervisions.stageId, set: { studentId: student_id, encadrantId: encadrant_id, updatedAt: sql`now()` } })
}
