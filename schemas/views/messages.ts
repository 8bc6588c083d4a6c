/** How a message looks to its sender and its receiver: what the comm API's reads and the worker's command results answer with. */
import { Type, type Static } from '@sinclair/typebox'
import { messages } from '../db/comm.ts'
import { Id, Moment, Nullable } from './fields.ts'

export type MessageRow = typeof messages.$inferSelect

export const MessageView = Type.Object({
  id: Id,
  sender_id: Id,
  receiver_id: Id,
  subject: Type.String(),
  body: Type.String(),
  reply_to: Nullable(Id),
  thread_id: Id,
  read: Type.Boolean(),
  read_at: Nullable(Moment),
  created_at: Moment,
})

export function messageView(m: MessageRow): MessageView {
  return {
    id: m.id,
    sender_id: m.senderId,
    receiver_id: m.receiverId,
    subject: m.subject,
    body: m.body,
    /** The message this one answers; null for the first of a thread. */
    reply_to: m.replyTo,
    /** The id of the thread's first message. */
    thread_id: m.threadId,
    read: m.readAt !== null,
    read_at: m.readAt?.toISOString() ?? null,
    created_at: m.createdAt.toISOString(),
  }
}

export type MessageView = Static<typeof MessageView>
