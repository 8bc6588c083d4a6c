/** Commands the comm worker applies. */
import { Type, type Static } from '@sinclair/typebox'
import { Uuid } from '../events/fields.ts'

/** Marks one of the caller's notifications read; `user_id` is the caller. */
export const MarkNotificationRead = Type.Object({ notification_id: Uuid, user_id: Uuid })
export type MarkNotificationRead = Static<typeof MarkNotificationRead>
