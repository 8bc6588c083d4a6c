import { and, count, desc, eq, isNotNull, isNull } from 'drizzle-orm'
import type { Database } from '../../../core/index.ts'
import { notifications, type NotificationType } from '../../../schemas/db/comm.ts'
import { notificationView } from '../../../schemas/views/notifications.ts'
import type { Caller } from '../../kit/service-api.ts'

export interface NotificationFilter {
  /** @default 1 */
  page?: number
  /** @default 20 */
  per_page?: number
  /** true: unread only; false: read only; absent: all. */
  unread?: boolean
  /** Of this type only; absent: all. */
  type?: NotificationType
}

/** The caller's own notifications, newest first, one page of them. */
export async function listNotifications(db: Database, caller: Caller, filter: NotificationFilter) {
  const page = filter.page ?? 1
  const perPage = filter.per_page ?? 20
  const where = and(
    eq(notifications.userId, caller.user_id),
    filter.unread === undefined ? undefined : filter.unread ? isNull(notifications.readAt) : isNotNull(notifications.readAt),
    filter.type === undefined ? undefined : eq(notifications.type, filter.type),
  )
  const [rows, [counted]] = await Promise.all([
    db
      .select()
      .from(notifications)
      .where(where)
      .orderBy(desc(notifications.createdAt), desc(notifications.id))
      .limit(perPage)
      .offset((page - 1) * perPage),
    db.select({ total: count() }).from(notifications).where(where),
  ])
  return { items: rows.map(notificationView), page, per_page: perPage, total: counted?.total ?? 0 }
}
