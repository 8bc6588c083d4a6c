import { sql } from 'drizzle-orm'
import type { Database, Logger } from '../../core/index.ts'
import { auditEvents } from '../../schemas/db/ops.ts'
import type { BackgroundContext } from '../kit/define.ts'
import { repeat } from '../kit/loops.ts'
import type { OpsSettings } from './settings.ts'

/**
 * Deletes the audit rows received more than `retentionDays` ago (by the
 * database's clock), `batch` at a time, oldest first, until none is left:
 * never one DELETE holding locks and WAL for a whole year's rows. Resolves
 * with how many rows went and in how many statements.
 */
export async function pruneAudit(db: Database, o: { retentionDays: number; batch: number; stopped?: () => boolean }): Promise<{ deleted: number; rounds: number }> {
  let deleted = 0
  let rounds = 0
  for (;;) {
    const gone = await db.execute(sql`
      delete from ${auditEvents} where id in (
        select id from ${auditEvents}
        where received_at < now() - make_interval(days => ${o.retentionDays})
        order by received_at limit ${o.batch})`)
    rounds++
    deleted += gone.count
    if (gone.count < o.batch || o.stopped?.()) return { deleted, rounds }
  }
}

/** The background loop that prunes the audit trail at start and then every AUDIT_PRUNE_EVERY_MS. */
export function auditRetention(settings: OpsSettings) {
  return (ctx: BackgroundContext) => {
    let stopped = false
    const round = async (log: Logger) => {
      const { deleted, rounds } = await pruneAudit(ctx.db, { retentionDays: settings.AUDIT_RETENTION_DAYS, batch: settings.AUDIT_PRUNE_BATCH, stopped: () => stopped })
      if (deleted > 0) log.info('audit events past their retention deleted', { deleted, statements: rounds, retention_days: settings.AUDIT_RETENTION_DAYS })
    }
    const stop = repeat(settings.AUDIT_PRUNE_EVERY_MS, () => round(ctx.log), { what: 'audit prune', log: ctx.log, now: true })
    return () => {
      stopped = true
      return stop()
    }
  }
}
