/** Events produced by the comm service (the `email.*` ones by auth too): messages, notifications, documents, emails. */
import { Type, type Static } from '@sinclair/typebox'
import { Email, IsoDate, Text, Uuid } from './fields.ts'

export const MessageSent = Type.Object(
  {
    message_id: Uuid,
    sender_id: Uuid,
    receiver_id: Uuid,
    subject: Text,
    thread_id: Type.Optional(Type.String({ format: 'uuid', description: "the id of the thread's first message (its own for a first message)" })),
    reply_to: Type.Optional(Type.String({ format: 'uuid', description: 'the message it answers' })),
  },
  { description: 'A user sent a message to another user.' },
)
export type MessageSent = Static<typeof MessageSent>

export const NotificationCreated = Type.Object(
  {
    notification_id: Uuid,
    user_id: Uuid,
    type: Type.String({ minLength: 1, description: 'what the notification is about, e.g. welcome' }),
    title: Text,
    related_type: Type.Optional(Type.String({ minLength: 1, description: 'what it links to: stage, evaluation or message' })),
    related_id: Type.Optional(Uuid),
    body: Type.Optional(Type.String({ description: 'its text, as the user reads it' })),
    created_at: Type.Optional(IsoDate),
  },
  { description: 'A notification was created for a user (with its body and created_at, a live stream shows it without reading it back).' },
)
export type NotificationCreated = Static<typeof NotificationCreated>

export const DocumentUploaded = Type.Object(
  {
    document_id: Uuid,
    student_id: Uuid,
    filename: Text,
    size: Type.Integer({ minimum: 0, description: 'size in bytes' }),
  },
  { description: 'A document was uploaded for a student.' },
)
export type DocumentUploaded = Static<typeof DocumentUploaded>

export const EmailSent = Type.Object(
  { email_id: Uuid, recipient: Email, subject: Text },
  { description: 'An email was handed to the mail server.' },
)
export type EmailSent = Static<typeof EmailSent>

export const EmailFailed = Type.Object(
  {
    email_id: Uuid,
    recipient: Email,
    error: Type.String({ minLength: 1, description: 'why sending failed; never contains a token or secret' }),
    subject: Type.Optional({ ...Text, description: 'the subject of the email given up' }),
  },
  { description: 'An email could not be sent.' },
)
export type EmailFailed = Static<typeof EmailFailed>
