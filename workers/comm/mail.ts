import { and, inArray, isNotNull, isNull } from 'drizzle-orm'
import type { Logger, Tx } from '../../core/index.ts'
import { commEmails, commEncadrants, commStudents } from '../../schemas/db/comm.ts'
import { renderHtml, renderText, type Piece } from '../kit/mail.ts'

/** A notification just created that is mailed too: to its user, with its title as subject and `paragraph` as what the email says. */
export interface Mailing {
  notificationId: string
  userId: string
  subject: string
  paragraph: Piece[]
}

/** The addresses comm knows of these accounts: a student's (unless deleted), an encadrant's (once an event carried it). */
async function addressesOf(tx: Tx, userIds: string[]): Promise<Map<string, string>> {
  const [students, encadrants] = await Promise.all([
    tx.select({ userId: commStudents.userId, email: commStudents.email }).from(commStudents).where(and(inArray(commStudents.userId, userIds), isNull(commStudents.deletedAt))),
    tx.select({ userId: commEncadrants.userId, email: commEncadrants.email }).from(commEncadrants).where(and(inArray(commEncadrants.userId, userIds), isNotNull(commEncadrants.email))),
  ])
  return new Map([...encadrants, ...students].map((r) => [r.userId, r.email!]))
}

/**
 * Queues one email per mailing in comm's outbox, in the caller's
 * transaction: it goes out only if the notification commits. A user comm
 * knows no address of is not mailed; a log line says so (their notification
 * stays in their list).
 */
export async function queueEmails(tx: Tx, log: Logger | undefined, mailings: Mailing[]): Promise<void> {
  if (mailings.length === 0) return
  const addresses = await addressesOf(tx, [...new Set(mailings.map((m) => m.userId))])
  const rows = []
  for (const m of mailings) {
    const recipient = addresses.get(m.userId)
    if (!recipient) {
      log?.info('notification not mailed: no email address is known for its user', { notification_id: m.notificationId, user_id: m.userId })
      continue
    }
    const paragraphs: Piece[][] = [['Hello,'], m.paragraph, ['You can find it among your notifications on MedTrack.']]
    rows.push({ id: crypto.randomUUID(), recipient, subject: m.subject, text: renderText(paragraphs), html: renderHtml(paragraphs) })
  }
  if (rows.length > 0) await tx.insert(commEmails).values(rows)
}
