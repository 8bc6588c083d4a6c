import { and, asc, eq, lte, sql } from 'drizzle-orm'
import { describe } from '../../core/index.ts'
import { stages } from '../../schemas/db/core.ts'
import { periodic } from '../kit/periodic.ts'
import { moveStage } from './handlers/stages.ts'

/** Stages one round starts at most. */
const ROUND = 100

/**
 * Starts each accepted stage on its start date (by the database's clock),
 * every `everyMs`. Each start is one unit of work named after its stage
 * (`stage-start:<id>`), recorded in the inbox: replicas sweeping at the same
 * moment start a stage once, and the status check makes a later round a no-op.
 */
export const stageSweep = (everyMs: number) =>
  periodic('stage sweep', everyMs, async (ctx, stopped) => {
    const due = await ctx.db
      .select({ id: stages.id })
      .from(stages)
      .where(and(eq(stages.status, 'accepted'), lte(stages.startDate, sql`current_date`)))
      .orderBy(asc(stages.startDate))
      .limit(ROUND)
    for (const { id } of due) {
      if (stopped()) return
      await ctx
        .apply(`stage-start:${id}`, async ({ tx, emit }) => {
          const [stage] = await tx.select({ status: stages.status }).from(stages).where(eq(stages.id, id)).for('update')
          if (stage?.status === 'accepted') await moveStage(tx, emit, undefined, { stage_id: id, action: 'start' })
        })
        .catch((err) => ctx.log.warn('a stage due to start could not be started; the next round tries again', { stage_id: id, error: describe(err) }))
    }
  })
