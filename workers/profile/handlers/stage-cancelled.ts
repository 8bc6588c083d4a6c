import { sql } from 'drizzle-orm'
import { supervisions } from '../../../schemas/db/profile.ts'
import type { EventHandlers } from '../../kit/define.ts'

/**
 * The stage's supervision ends: its encadrant no longer reads its student's
 * profile (through this stage). Heard before the acceptance, it leaves an
 * inactive row so that the late acceptance grants nothing.
 */
export const stageCancelled: NonNullable<EventHandlers['stage.cancelled']> = async (event, { tx }) => {
  const { stage_id, student_id, encadrant_id } = event.payload
  await tx
    .insert(supervisions)
    .values({ stageId: stage_id, studentId: student_id ?? null, encadrantId: encadrant_id ?? null, active: false })
    .onConflictDoUpdate({
      target: supervisions.stageId,
      set: {
        active: false,
        studentId: sql`coalesce(${supervisions.studentId}, excluded.student_id)`,
        encadrantId: sql`coalesce(${supervisions.encadrantId}, excluded.encadrant_id)`,
        updatedAt: sql`now()`,
      },
    })
}
