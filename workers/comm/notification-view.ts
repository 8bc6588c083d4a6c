import { notifications } from '../../schemas/db/comm.ts'

export type NotificationRow = typeof notifications.$inferSelect

/** A notification as the API shows it. */
export function notificationView(n: NotificationRow) {
  return {
    id: n.id,
    user_id: n.userId,
    type: n.type,
    title: n.title,
    body: n.body,
    related_type: n.relatedType,
    related_id: n.relatedId,
    read: n.readAt !== null,
    read_at: n.readAt?.toISOString() ?? null,
    created_at: n.createdAt.toISOString(),
  }
}

export type NotificationView = ReturnType<typeof notificationView>
