import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm'
import nodemailer from 'nodemailer'
import { describe, type Database } from '../../core/index.ts'
import { emails } from '../../schemas/db/auth.ts'
import type { BackgroundContext } from '../kit/define.ts'
import { withoutTokens } from './mail.ts'
import type { AuthSettings } from './settings.ts'

export interface Mailer {
  send(mail: { from: string; to: string; subject: string; text: string; html?: string }): Promise<unknown>
  close(): void
}

export function smtpMailer(url: string): Mailer {
  const transport = nodemailer.createTransport(url, { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 15_000 } as never)
  return { send: (mail) => transport.sendMail(mail), close: () => transport.close() }
}

type Email = typeof emails.$inferSelect

/** Emails claimed at once by one sender. */
const CLAIM_LIMIT = 10

/** The database's clock `ms` from now (inside a transaction: from its start). */
const fromNow = (ms: number) => sql`now() + make_interval(secs => ${ms / 1000})`

/**
 * Claims up to CLAIM_LIMIT due `pending` emails in one statement of its own:
 * their `next_attempt_at` moves `leaseMs` ahead, so other senders skip them,
 * and they are due again if this one never records the attempt.
 */
function claimDue(db: Database, leaseMs: number): Promise<Email[]> {
  const due = db
    .select({ id: emails.id })
    .from(emails)
    .where(and(eq(emails.status, 'pending'), lte(emails.nextAttemptAt, sql`now()`)))
    .orderBy(asc(emails.nextAttemptAt))
    .limit(CLAIM_LIMIT)
    .for('update', { skipLocked: true })
  return db.update(emails).set({ nextAttemptAt: fromNow(leaseMs) }).where(inArray(emails.id, due)).returning()
}

/**
 * The email outbox's sender: every due `pending` email is claimed, sent over
 * SMTP with no transaction open, and the attempt recorded with its event
 * (`email.sent`, or `email.failed` once given up) as a unit of work of its own
 * that touches nothing but the database, so re-running it is harmless. A
 * failure is retried after the next delay of EMAIL_RETRY_MS; after the last one
 * the email is `failed`. A sent or given-up email keeps no one-time token.
 * Several workers share the outbox: each skips what another has claimed.
 */
export function emailSender(settings: AuthSettings, mailer: Mailer = smtpMailer(settings.SMTP_URL)) {
  const delays = settings.EMAIL_RETRY_MS.split(',').map(Number)

  return (ctx: BackgroundContext) => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let running: Promise<void> = Promise.resolve()

    /** Records the attempt `mail.attempts` once, whatever else shares its transaction. */
    function record(mail: Email, error: string | undefined) {
      const attemptNo = mail.attempts
      return ctx.apply(`email:${mail.id}:${attemptNo}`, async ({ tx, emit }) => {
        const unrecorded = and(eq(emails.id, mail.id), eq(emails.status, 'pending'), eq(emails.attempts, attemptNo))
        const spent = { text: withoutTokens(mail.text), html: mail.html === null ? null : withoutTokens(mail.html) }
        if (error === undefined) {
          const [sent] = await tx.update(emails).set({ status: 'sent', attempts: attemptNo + 1, sentAt: sql`now()`, lastError: null, ...spent }).where(unrecorded).returning({ id: emails.id })
          if (sent) emit('email.sent', { email_id: mail.id, recipient: mail.recipient, subject: mail.subject })
          return
        }
        const delay = delays[attemptNo]
        if (delay === undefined) {
          const [failed] = await tx.update(emails).set({ status: 'failed', attempts: attemptNo + 1, lastError: error, ...spent }).where(unrecorded).returning({ id: emails.id })
          if (!failed) return
          emit('email.failed', { email_id: mail.id, recipient: mail.recipient, error })
          ctx.log.error('email given up', { email_id: mail.id, attempts: attemptNo + 1, error })
        } else {
          await tx.update(emails).set({ attempts: attemptNo + 1, lastError: error, nextAttemptAt: fromNow(delay) }).where(unrecorded)
          ctx.log.warn('email not sent; will retry', { email_id: mail.id, attempts: attemptNo + 1, retry_in_ms: delay, error })
        }
      })
    }

    async function deliver(mail: Email) {
      let error: string | undefined
      try {
        await mailer.send({ from: settings.EMAIL_FROM, to: mail.recipient, subject: mail.subject, text: mail.text, ...(mail.html ? { html: mail.html } : {}) })
      } catch (err) {
        error = describe(err).slice(0, 500)
      }
      await record(mail, error).catch((err) =>
        ctx.log.error('email attempt not recorded; it is due again once its lease ends', { email_id: mail.id, sent: error === undefined, lease_ms: settings.EMAIL_LEASE_MS, error: describe(err) }),
      )
    }

    async function round() {
      while (!stopped) {
        const claimed = await claimDue(ctx.db, settings.EMAIL_LEASE_MS)
        await Promise.all(claimed.map(deliver))
        if (claimed.length < CLAIM_LIMIT) return
      }
    }

    const tick = () => {
      running = round()
        .catch((err) => ctx.log.warn('email outbox unreadable', { error: describe(err) }))
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, settings.EMAIL_POLL_MS)
        })
    }
    timer = setTimeout(tick, 0)

    return async () => {
      stopped = true
      clearTimeout(timer)
      await running
      mailer.close()
    }
  }
}
