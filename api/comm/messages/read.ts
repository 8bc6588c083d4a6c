import { and, asc, count, desc, eq, isNull, or } from 'drizzle-orm'
import { notFound, type Database } from '../../../core/index.ts'
import { messages } from '../../../schemas/db/comm.ts'
import { messageView } from '../../../schemas/views/messages.ts'
import { readPage, type PageRequest } from '../../kit/paging.ts'
import type { Caller } from '../../kit/service-api.ts'
import type { Box } from './model.ts'

const total = async (db: Database, where: ReturnType<typeof and>) => (await db.select({ total: count() }).from(messages).where(where))[0]?.total ?? 0

/** The caller's received messages (`inbox`) or sent ones, newest first, one page, with how many of their inbox are unread. */
export async function listMessages(db: Database, caller: Caller, q: PageRequest & { box?: Box }) {
  const where = q.box === 'sent' ? eq(messages.senderId, caller.user_id) : eq(messages.receiverId, caller.user_id)
  const [page, unread] = await Promise.all([
    readPage(
      q,
      async (limit, offset) => (await db.select().from(messages).where(where).orderBy(desc(messages.createdAt), desc(messages.id)).limit(limit).offset(offset)).map(messageView),
      () => total(db, where),
    ),
    total(db, and(eq(messages.receiverId, caller.user_id), isNull(messages.readAt))),
  ])
  return { box: q.box ?? 'inbox', ...page, unread }
}

/** A message the caller sent or received; to anyone else it does not exist (404). */
async function ownMessage(db: Database, caller: Caller, id: string) {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.id, id), or(eq(messages.senderId, caller.user_id), eq(messages.receiverId, caller.user_id))))
  if (!row) throw notFound('message')
  return row
}

export const getMessage = async (db: Database, caller: Caller, id: string) => messageView(await ownMessage(db, caller, id))

/**
 * The thread of a message the caller sent or received, oldest first, one
 * page. A thread's replies are all between its first message's two people, so
 * the caller may read every one of them.
 */
export async function getThread(db: Database, caller: Caller, id: string, q: PageRequest) {
  const { threadId } = await ownMessage(db, caller, id)
  const where = eq(messages.threadId, threadId)
  const page = await readPage(
    q,
    async (limit, offset) => (await db.select().from(messages).where(where).orderBy(asc(messages.createdAt), asc(messages.id)).limit(limit).offset(offset)).map(messageView),
    () => total(db, where),
  )
  return { thread_id: threadId, ...page }
}
