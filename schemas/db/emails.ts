import { sql } from 'drizzle-orm'
import { index, integer, text, timestamp, uuid, type PgSchema } from 'drizzle-orm/pg-core'

/** The status of an outbox email: waiting to go out (or to be tried again), handed to the mail server, or given up. */
export const EMAIL_STATUSES = ['pending', 'sent', 'failed'] as const

/**
 * A service's email outbox, the same shape in every service that sends
 * emails: written in the same transaction as what caused the email, sent
 * (and retried) by the worker's email sender.
 */
export function emailOutboxTable<S extends string>(schema: PgSchema<S>) {
  return schema.table(
    'emails',
    {
      id: uuid('id').primaryKey(),
      recipient: text('recipient').notNull(),
      subject: text('subject').notNull(),
      text: text('text').notNull(),
      html: text('html'),
      /** `pending`, `sent` or `failed`. */
      status: text('status').notNull().default('pending'),
      attempts: integer('attempts').notNull().default(0),
      nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
      lastError: text('last_error'),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      /** When its link stops working (a one-time token's expiry): an email not sent by then is given up, not sent. Null: no link that expires. */
      expiresAt: timestamp('expires_at', { withTimezone: true }),
      sentAt: timestamp('sent_at', { withTimezone: true }),
    },
    (t) => [index('emails_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`)],
  )
}

/** Any service's email outbox: its columns are the same whatever schema it lives in. */
export type EmailOutbox = ReturnType<typeof emailOutboxTable<string>>
/** A row of an email outbox. */
export type OutboxEmail = EmailOutbox['$inferSelect']

