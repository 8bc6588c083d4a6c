/** Commands the comm worker applies. */
import { Type, type Static } from '@sinclair/typebox'
import { BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH } from '../domain/messages.ts'
import { Uuid } from '../events/fields.ts'

/** Marks one of the caller's notifications read; `user_id` is the caller. */
export const MarkNotificationRead = Type.Object({ notification_id: Uuid, user_id: Uuid })
export type MarkNotificationRead = Static<typeof MarkNotificationRead>

/**
 * Sends a message from `sender_id` (the caller) to `receiver_id`, whom the API
 * found them allowed to write to; `reply_to` names the message it answers.
 */
export const SendMessage = Type.Object({
  sender_id: Uuid,
  receiver_id: Uuid,
  subject: Type.String({ minLength: 1, maxLength: SUBJECT_MAX_LENGTH }),
  body: Type.String({ minLength: 1, maxLength: BODY_MAX_LENGTH }),
  reply_to: Type.Optional(Uuid),
})
export type SendMessage = Static<typeof SendMessage>

/** Marks a message read by its receiver; `user_id` is the caller. */
export const MarkMessageRead = Type.Object({ message_id: Uuid, user_id: Uuid })
export type MarkMessageRead = Static<typeof MarkMessageRead>
