import { and, eq, sql } from 'drizzle-orm'
import { notFound } from '../../../core/index.ts'
import { notifications } from '../../../schemas/db/comm.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { notificationView } from '../../../schemas/views/notifications.ts'

/**
 * Marks one of the user's notifications read and answers it; reading it again
 * keeps the first `read_at`. Someone else's notification is 404, exactly like
 * one that does not exist.
 */
export const markNotificationRead: NonNullable<CommandHandlers['comm.mark_notification_read']> = async ({ payload }, { tx }) => {
  const [row] = await tx
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
    .where(and(eq(notifications.id, payload.notification_id), eq(notifications.userId, payload.user_id)))
    .returning()
  if (!row) throw notFound('notification')
  return { status: 200, body: notificationView(row) }
}
