/** Commands the comm worker applies. */
import { Type, type Static } from '@sinclair/typebox'
import { DOCUMENT_KINDS, DOCUMENT_TYPES } from '../db/comm.ts'
import { BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH } from '../domain/messages.ts'
import { Text, Uuid } from '../events/fields.ts'

/** Marks one of the caller's notifications read; `user_id` is the caller. */
export const MarkNotificationRead = Type.Object({ notification_id: Uuid, user_id: Uuid })
export type MarkNotificationRead = Static<typeof MarkNotificationRead>

/**
 * Records a document whose bytes the API has already put in the blob store
 * under `sha256`; `document_id` is the API's, so a redelivered command makes
 * one row. `uploaded_by` is the caller.
 */
export const RegisterDocument = Type.Object({
  document_id: Uuid,
  student_id: Uuid,
  stage_id: Type.Optional(Uuid),
  kind: Type.Union(DOCUMENT_KINDS.map((k) => Type.Literal(k))),
  filename: Text,
  content_type: Type.Union(DOCUMENT_TYPES.map((k) => Type.Literal(k))),
  size: Type.Integer({ minimum: 1 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  uploaded_by: Uuid,
})
export type RegisterDocument = Static<typeof RegisterDocument>

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
