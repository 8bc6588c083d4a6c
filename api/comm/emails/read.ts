import { and, count, desc, eq, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../../core/index.ts'
import { emailLog, type EmailLogStatus } from '../../../schemas/db/comm.ts'
import { readPage, type PageRequest } from '../../kit/paging.ts'
import type { EmailView } from './model.ts'

type LoggedEmail = typeof emailLog.$inferSelect

/** A logged email as the API shows it. */
function emailView(e: LoggedEmail): EmailView {
  return {
    email_id: e.emailId,
    producer: e.producer,
    recipient: e.recipient,
    subject: e.subject,
    status: e.status,
    error: e.error,
    occurred_at: e.occurredAt.toISOString(),
  }
}

export interface EmailLogFilter extends PageRequest {
  status?: EmailLogStatus
  /** To this address, letter case aside. */
  recipient?: string
}

/** The emails every service sent or gave up, newest first, one page of them. */
export function listEmails(db: Database, q: EmailLogFilter) {
  const filters: SQL[] = []
  if (q.status) filters.push(eq(emailLog.status, q.status))
  if (q.recipient) filters.push(sql`lower(${emailLog.recipient}) = lower(${q.recipient})`)
  const where = filters.length > 0 ? and(...filters) : undefined
  return readPage(
    q,
    async (limit, offset) => (await db.select().from(emailLog).where(where).orderBy(desc(emailLog.occurredAt), desc(emailLog.emailId)).limit(limit).offset(offset)).map(emailView),
    async () => (await db.select({ total: count() }).from(emailLog).where(where))[0]?.total ?? 0,
  )
}
