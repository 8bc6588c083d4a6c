import { Type, type Static } from '@sinclair/typebox'
import { NOTIFICATION_TYPES, notifications, RELATED_TYPES } from '../db/comm.ts'
import { Id, Moment, Nullable } from './fields.ts'

export type NotificationRow = typeof notifications.$inferSelect

export const NotificationView = Type.Object({
  id: Id,
  user_id: Id,
  type: Type.Union(NOTIFICATION_TYPES.map((t) => Type.Literal(t))),
  title: Type.String(),
  body: Type.String(),
  related_type: Nullable(Type.Union(RELATED_TYPES.map((t) => Type.Literal(t)))),
  related_id: Nullable(Id),
  read: Type.Boolean(),
  read_at: Nullable(Moment),
  created_at: Moment,
})

/** A notification as the API shows it. */
export function notificationView(n: NotificationRow): NotificationView {
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

export type NotificationView = Static<typeof NotificationView>
