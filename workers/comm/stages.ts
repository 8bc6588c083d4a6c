import { sql } from 'drizzle-orm'
import type { Tx } from '../../core/index.ts'
import { commStages, STAGE_STATUSES, type StageStatus } from '../../schemas/db/comm.ts'

export type StageRow = typeof commStages.$inferSelect

/** What a `stage.*` event says about its stage; an absent field says nothing. */
export interface StageFacts {
  stageId: string
  status: StageStatus
  studentId?: string
  encadrantId?: string
  establishmentId?: string
}

/** `status`'s place in STAGE_STATUSES, in SQL. */
const rank = (status: unknown) => sql`array_position(${sql.raw(`array[${STAGE_STATUSES.map((s) => `'${s}'`).join(', ')}]::text[]`)}, ${status})`

/**
 * Adds what the event says to comm's copy of the stage and answers the stage
 * as comm now knows it: a field the event carries replaces what was kept,
 * one it lacks keeps it; the status moves forward only, so an event that
 * arrives after a later one leaves it where it is.
 */
export async function recordStage(tx: Tx, facts: StageFacts): Promise<StageRow> {
  const [row] = await tx
    .insert(commStages)
    .values({
      stageId: facts.stageId,
      status: facts.status,
      studentId: facts.studentId ?? null,
      encadrantId: facts.encadrantId ?? null,
      establishmentId: facts.establishmentId ?? null,
    })
    .onConflictDoUpdate({
      target: commStages.stageId,
      set: {
        studentId: sql`coalesce(excluded.student_id, ${commStages.studentId})`,
        encadrantId: sql`coalesce(excluded.encadrant_id, ${commStages.encadrantId})`,
        establishmentId: sql`coalesce(excluded.establishment_id, ${commStages.establishmentId})`,
        status: sql`case when ${rank(sql`excluded.status`)} > ${rank(commStages.status)} then excluded.status else ${commStages.status} end`,
        updatedAt: sql`now()`,
      },
    })
    .returning()
  return row!
}
