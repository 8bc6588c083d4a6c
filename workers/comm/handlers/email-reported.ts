import { sql } from 'drizzle-orm'
import type { Envelope, Tx } from '../../../core/index.ts'
import { emailLog, type EmailLogStatus } from '../../../schemas/db/comm.ts'
import type { EventHandlers } from '../../kit/define.ts'

/** What an `email.sent` or `email.failed` says of its email. */
interface Report {
  email_id: string
  recipient: string
  subject?: string
  error?: string
}

/**
 * Logs the email the event reports, under the service that sent it (the
 * envelope's `service`), once per email id: a copy of the event, or another
 * event of the same status, changes nothing. A `sent` replaces a `failed`
 * (the mail server has the email after all) and a `failed` never replaces a
 * `sent`.
 */
async function logEmail(tx: Tx, event: Envelope<Report>, status: EmailLogStatus): Promise<void> {
  const p = event.payload
  await tx
    .insert(emailLog)
    .values({
      emailId: p.email_id,
      producer: event.service,
      recipient: p.recipient,
      subject: p.subject ?? null,
      status,
      error: status === 'failed' ? (p.error ?? null) : null,
      occurredAt: new Date(event.timestamp),
    })
    .onConflictDoUpdate({
      target: emailLog.emailId,
      set: { status: sql`excluded.status`, error: sql`null`, subject: sql`coalesce(excluded.subject, ${emailLog.subject})`, occurredAt: sql`excluded.occurred_at`, recordedAt: sql`now()` },
      setWhere: sql`${emailLog.status} = 'failed' and excluded.status = 'sent'`,
    })
}

export const emailSent: NonNullable<EventHandlers['email.sent']> = (event, { tx }) => logEmail(tx, event, 'sent')
export const emailFailed: NonNullable<EventHandlers['email.failed']> = (event, { tx }) => logEmail(tx, event, 'failed')
