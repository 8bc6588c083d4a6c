import { and, asc, eq, gt, or, sql } from 'drizzle-orm'
import type { Database } from '../../../core/index.ts'
import { notifications } from '../../../schemas/db/comm.ts'
import { notificationView, type NotificationView } from '../../../schemas/views/notifications.ts'

const PAGE = 500

/**
 * The database's clock, in ms (rows' `created_at` are on it, not on this
 * process's), and the notifications of `userId` created within `windowMs`
 * before it, as [created_at ms, id]: in one light query, made once per new stream.
 */
export async function recentNotifications(db: Database, userId: string, windowMs: number): Promise<{ now: number; recent: [number, string][] }> {
  const rows = (await db.execute(sql`
    select floor(extract(epoch from clock_timestamp()) * 1000)::float8 as now, n.id, floor(extract(epoch from n.created_at) * 1000)::float8 as created
    from (select 1) as one
    left join ${notifications} n on n.user_id = ${userId} and n.created_at > clock_timestamp() - make_interval(secs => ${windowMs / 1000}::float8)
    order by n.created_at, n.id`)) as unknown as { now: number; id: string | null; created: number | null }[]
  return { now: Number(rows[0]!.now), recent: rows.flatMap((r) => (r.id === null ? [] : [[Number(r.created), r.id] as [number, string]])) }
}

/**
 * Every notification of `userId` created after `fromMs`, oldest first (by
 * created_at, then id), handed to `each` a page at a time so a long absence
 * is not held in memory at once.
 */
export async function replayNotifications(db: Database, userId: string, fromMs: number, each: (view: NotificationView) => void): Promise<void> {
  let after: { createdAt: Date; id: string } | undefined
  for (;;) {
    const rows = await db
      .select()
      .from(notifications)
      .where(
        and(
          eq(notifications.userId, userId),
          after
            ? or(gt(notifications.createdAt, after.createdAt), and(eq(notifications.createdAt, after.createdAt), gt(notifications.id, after.id)))
            : gt(notifications.createdAt, new Date(fromMs)),
        ),
      )
      .orderBy(asc(notifications.createdAt), asc(notifications.id))
      .limit(PAGE)
    for (const row of rows) each(notificationView(row))
    if (rows.length < PAGE) return
    after = rows[rows.length - 1]!
  }
}
