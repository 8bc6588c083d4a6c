/** How a message looks to its sender and its receiver: what the comm API's reads and the worker's command results answer with. */
import { messages } from '../db/comm.ts'

export type MessageRow = typeof messages.$inferSelect

export function messageView(m: MessageRow) {
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

export type MessageView = ReturnType<typeof messageView>
