import { t } from 'elysia'
import { NOTIFICATION_TYPES } from '../../../schemas/db/comm.ts'
import { NotificationView } from '../../../schemas/views/notifications.ts'
import { feature, Page } from '../../kit/openapi.ts'

export const notifications = feature('notifications', "The caller's notifications: listed, marked read, or streamed live as Server-Sent Events")
export const NotificationPage = Page(NotificationView)

/*
 * Page numbers are digit strings, not `t.Integer`: Elysia reports a coerced
 * number out of range without its field path, and a 422 must name the field.
 */
export const NotificationQuery = t.Object({
  page: t.Optional(t.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'page number, from 1 (default 1)' })),
  per_page: t.Optional(t.String({ pattern: '^([1-9]|[1-9][0-9]|100)$', description: 'items per page, 1 to 100 (default 20)' })),
  unread: t.Optional(t.BooleanString({ description: 'true: the unread only; false: the read only' })),
  // A union of literals, not t.UnionEnum: that one defaults an absent value to its first.
  type: t.Optional(t.Union(NOTIFICATION_TYPES.map((type) => t.Literal(type)), { description: `of this type only: ${NOTIFICATION_TYPES.join(', ')}` })),
})

export const NotificationParams = t.Object({ id: t.String({ format: 'uuid' }) })

/** The list filter of a validated query. */
export const filterOf = (q: typeof NotificationQuery.static) => ({
  page: q.page ? Number(q.page) : undefined,
  per_page: q.per_page ? Number(q.per_page) : undefined,
  unread: q.unread,
  type: q.type,
})
