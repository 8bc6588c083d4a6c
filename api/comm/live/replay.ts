import { and, asc, eq, gt, or, sql } from 'drizzle-orm'
import type { Database } from '../../../core/index.ts'
import { notifications } from '../../../schemas/db/comm.ts'
import { notificationView, type NotificationView } from '../../../workers/comm/notification-view.ts'

const PAGE = 500

/** The database's clock, in ms: rows' `created_at` are on it, not on this process's. */
export async function databaseNow(db: Database): Promise<number> {
  const [row] = (await db.execute(sql`select (extract(epoch from clock_timestamp()) * 1000)::float8 as now`)) as unknown as { now: number }[]
  return Math.floor(Number(row!.now))
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
