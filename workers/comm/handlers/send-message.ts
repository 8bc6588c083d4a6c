import { eq, sql } from 'drizzle-orm'
import { unprocessable, uuidV5, type Tx } from '../../../core/index.ts'
import { messages } from '../../../schemas/db/comm.ts'
import { messageView, type MessageRow } from '../../../schemas/views/messages.ts'
import type { CommandHandlers, CommandPayload } from '../../kit/define.ts'
import { messageNoticeKey, notify } from '../notify.ts'

/** How much of a message's body its notification quotes. */
const EXCERPT_LENGTH = 200

/** The body's first EXCERPT_LENGTH characters (whole code points), with an ellipsis when there is more. */
function excerpt(body: string): string {
  const chars = [...body]
  return chars.length > EXCERPT_LENGTH ? `${chars.slice(0, EXCERPT_LENGTH - 1).join('')}…` : body
}

/**
 * The thread a message belongs to: its own (its id) when it answers nothing;
 * else the thread of the message it answers, which must be one the sender
 * sent or received, with the same receiver (a reply goes between the same two
 * people). Anything else is a 422 naming `/reply_to`.
 */
async function threadOf(tx: Tx, id: string, p: CommandPayload<'comm.send_message'>): Promise<string> {
  if (!p.reply_to) return id
  const [answered] = await tx.select().from(messages).where(eq(messages.id, p.reply_to))
  const other = answered?.senderId === p.sender_id ? answered.receiverId : answered?.receiverId === p.sender_id ? answered.senderId : undefined
  if (!answered || other === undefined) throw unprocessable('reply_to names no message of yours', [{ path: '/reply_to', message: 'is not a message you sent or received' }])
  if (other !== p.receiver_id) {
    throw unprocessable('a reply goes to the other person of the message it answers', [{ path: '/reply_to', message: `is a message with another person: a reply to it goes to ${other}` }])
  }
  return answered.threadId
}

/**
 * Stores the message and tells its receiver: `message.sent` and the
 * receiver's `message` notification (`message.sent:<message_id>:<receiver_id>`),
 * linking to it. The message's id is derived from the command's, so the same
 * command applied again (redelivered past the inbox) stores, emits and
 * notifies nothing more and answers the same message.
 */
export const sendMessage: NonNullable<CommandHandlers['comm.send_message']> = async ({ command_id, payload }, { tx, emit }) => {
  // Ids are compared as text: whatever case they were sent in, they are the stored ones' (lower case).
  const p = { ...payload, sender_id: payload.sender_id.toLowerCase(), receiver_id: payload.receiver_id.toLowerCase(), ...(payload.reply_to ? { reply_to: payload.reply_to.toLowerCase() } : {}) }
  if (p.receiver_id === p.sender_id) throw unprocessable('a message goes to someone else', [{ path: '/receiver_id', message: 'is yourself' }])
  const id = uuidV5(`comm.send_message:${command_id}`)
  const threadId = await threadOf(tx, id, p)
  const [made] = await tx
    .insert(messages)
    .values({
      id,
      senderId: p.sender_id,
      receiverId: p.receiver_id,
      subject: p.subject,
      body: p.body,
      replyTo: p.reply_to ?? null,
      threadId,
      // The clock, not the transaction's start: messages applied together keep the order they were sent in.
      createdAt: sql`clock_timestamp()`,
    })
    .onConflictDoNothing({ target: messages.id })
    .returning()
  if (!made) {
    const [stored] = await tx.select().from(messages).where(eq(messages.id, id))
    return { status: 201, body: messageView(stored!) }
  }
  emit('message.sent', { message_id: made.id, sender_id: made.senderId, receiver_id: made.receiverId, subject: made.subject, thread_id: made.threadId, ...(made.replyTo ? { reply_to: made.replyTo } : {}) })
  await notify(tx, emit, [
    {
      userId: made.receiverId,
      type: 'message',
      title: `New message: ${made.subject}`,
      body: excerpt(made.body),
      related: { type: 'message', id: made.id },
      dedupeKey: messageNoticeKey(made.id, made.receiverId),
    },
  ])
  return { status: 201, body: messageView(made as MessageRow) }
}
