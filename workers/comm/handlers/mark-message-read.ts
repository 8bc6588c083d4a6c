import { and, eq, sql } from 'drizzle-orm'
import { forbidden, notFound } from '../../../core/index.ts'
import { messages, notifications } from '../../../schemas/db/comm.ts'
import { messageView } from '../../../schemas/views/messages.ts'
import { messageNoticeKey } from '../notify.ts'
import type { CommandHandlers } from '../../kit/define.ts'

/**
 * Marks a message read by its receiver, with its `message` notification, and
 * answers it; marking it again keeps the first `read_at`. Its sender is told
 * only the receiver may (403); to anyone else it does not exist (404).
 */
export const markMessageRead: NonNullable<CommandHandlers['comm.mark_message_read']> = async ({ payload }, { tx }) => {
  const [row] = await tx
    .update(messages)
    .set({ readAt: sql`coalesce(${messages.readAt}, now())` })
    .where(and(eq(messages.id, payload.message_id), eq(messages.receiverId, payload.user_id)))
    .returning()
  if (!row) {
    const [sent] = await tx.select({ id: messages.id }).from(messages).where(and(eq(messages.id, payload.message_id), eq(messages.senderId, payload.user_id)))
    throw sent ? forbidden('only the receiver of a message marks it read') : notFound('message')
  }
  await tx
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, now())` })
    .where(eq(notifications.dedupeKey, messageNoticeKey(row.id, row.receiverId)))
  return { status: 200, body: messageView(row) }
}
