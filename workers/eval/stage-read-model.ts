import { sql, type SQL } from 'drizzle-orm'
import type { Tx } from '../../core/index.ts'
import { evalStages } from '../../schemas/db/eval.ts'

export type StageStatus = 'created' | 'accepted' | 'started' | 'completed' | 'cancelled'
export type StageRow = typeof evalStages.$inferSelect

/**
 * How far each status is along a stage's life. Events may arrive in any
 * order, so the read model keeps the furthest status it has heard of;
 * `completed` and `cancelled` both end a stage, and neither undoes the other.
 */
export const STAGE_PROGRESS: Readonly<Record<StageStatus, number>> = { created: 1, accepted: 2, started: 3, completed: 4, cancelled: 4 }

const progressOf = (status: SQL | typeof evalStages.status) =>
  sql`case ${status} ${sql.join(
    Object.entries(STAGE_PROGRESS).map(([name, n]) => sql`when ${name} then ${sql.raw(String(n))}`),
    sql` `,
  )} else 0 end`

/** What a `stage.*` event says of a stage besides its status; absent fields say nothing. */
export interface StageFacts {
  studentId?: string | undefined
  offerId?: string | undefined
  establishmentId?: string | undefined
  encadrantId?: string | undefined
  startDate?: string | undefined
  endDate?: string | undefined
  startedOn?: string | undefined
  completedOn?: string | undefined
  cancelReason?: string | undefined
}

/** The extras every `stage.*` event may carry (who and where), as facts. */
export function contextOf(payload: { student_id?: string | undefined; offer_id?: string | undefined; establishment_id?: string | undefined; encadrant_id?: string | undefined }): StageFacts {
  return { studentId: payload.student_id, offerId: payload.offer_id, establishmentId: payload.establishment_id, encadrantId: payload.encadrant_id }
}

const FACT_COLUMNS = ['studentId', 'offerId', 'establishmentId', 'encadrantId', 'startDate', 'endDate', 'startedOn', 'completedOn', 'cancelReason'] as const

/**
 * Records what an event says of a stage, creating the stage when eval has not
 * heard of it: each fact given replaces the one known, and the status moves
 * only forward (STAGE_PROGRESS). Resolves with the stage as it now is.
 */
export async function recordStage(tx: Tx, stageId: string, status: StageStatus, facts: StageFacts): Promise<StageRow> {
  const given = Object.fromEntries(FACT_COLUMNS.map((c) => [c, facts[c] ?? null]))
  const merged = Object.fromEntries(FACT_COLUMNS.map((c) => [c, sql`coalesce(excluded.${sql.identifier(evalStages[c].name)}, ${evalStages[c]})`]))
  const [stage] = await tx
    .insert(evalStages)
    .values({ stageId, status, ...given })
    .onConflictDoUpdate({
      target: evalStages.stageId,
      set: {
        ...merged,
        status: sql`case when ${progressOf(sql`excluded.status`)} > ${progressOf(evalStages.status)} then excluded.status else ${evalStages.status} end`,
        updatedAt: sql`now()`,
      },
    })
    .returning()
  return stage!
}
