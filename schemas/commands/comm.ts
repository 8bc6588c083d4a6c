/** Commands the comm worker applies. */
import { Type, type Static } from '@sinclair/typebox'
import { DOCUMENT_KINDS, DOCUMENT_TYPES } from '../db/comm.ts'
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
