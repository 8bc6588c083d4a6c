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

/** One attempt's failure: what to record, and whether the server refused the email for good (an SMTP 5xx answer). */
interface Failure {
  error: string
  refused: boolean
}

/**
 * The email outbox's sender: every due `pending` email is claimed, sent over
 * SMTP with no transaction open, and the attempt recorded with its event
 * (`email.sent`, or `email.failed` once given up) as a unit of work of its own
 * that touches nothing but the database, so re-running it is harmless. A
 * failure is retried after the next delay of EMAIL_RETRY_MS, the last one
 * repeating, until the email is EMAIL_GIVE_UP_MS old: an SMTP server away for
 * hours delays the emails, it does not lose them. One the server refuses for
 * good (5xx) is given up at once. A sent or given-up email keeps no one-time
 * token. Several workers share the outbox: each skips what another has claimed.
 * While the server cannot be reached a round stops at its first batch, and
 * says so once, not once per email.
 */
export function emailSender(settings: AuthSettings, mailer: Mailer = smtpMailer(settings.SMTP_URL)) {
  const delays = settings.EMAIL_RETRY_MS.split(',').map(Number)

  return (ctx: BackgroundContext) => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let running: Promise<void> = Promise.resolve()

    /** Records the attempt `mail.attempts` once, whatever else shares its transaction. */
    function record(mail: Email, failure: Failure | undefined) {
      const attemptNo = mail.attempts
      return ctx.apply(`email:${mail.id}:${attemptNo}`, async ({ tx, emit }) => {
        const unrecorded = and(eq(emails.id, mail.id), eq(emails.status, 'pending'), eq(emails.attempts, attemptNo))
        const spent = { text: withoutTokens(mail.text), html: mail.html === null ? null : withoutTokens(mail.html) }
        if (failure === undefined) {
          const [sent] = await tx.update(emails).set({ status: 'sent', attempts: attemptNo + 1, sentAt: sql`now()`, lastError: null, ...spent }).where(unrecorded).returning({ id: emails.id })
          if (sent) emit('email.sent', { email_id: mail.id, recipient: mail.recipient, subject: mail.subject })
          return
        }
        const { error } = failure
        const delay = delays[Math.min(attemptNo, delays.length - 1)]!
        const tooOld = Date.now() + delay - mail.createdAt.getTime() > settings.EMAIL_GIVE_UP_MS
        if (failure.refused || tooOld) {
          const [failed] = await tx.update(emails).set({ status: 'failed', attempts: attemptNo + 1, lastError: error, ...spent }).where(unrecorded).returning({ id: emails.id })
          if (!failed) return
          emit('email.failed', { email_id: mail.id, recipient: mail.recipient, error })
          ctx.log.error('email given up', { email_id: mail.id, attempts: attemptNo + 1, refused: failure.refused, error })
        } else {
          await tx.update(emails).set({ attempts: attemptNo + 1, lastError: error, nextAttemptAt: fromNow(delay) }).where(unrecorded)
        }
      })
    }

    /** Sends one email and records the attempt; resolves with what went wrong, if anything. */
    async function deliver(mail: Email): Promise<Failure | undefined> {
      let failure: Failure | undefined
      try {
        await mailer.send({ from: settings.EMAIL_FROM, to: mail.recipient, subject: mail.subject, text: mail.text, ...(mail.html ? { html: mail.html } : {}) })
      } catch (err) {
        const code = (err as { responseCode?: unknown }).responseCode
        failure = { error: describe(err).slice(0, 500), refused: typeof code === 'number' && code >= 500 && code < 600 }
      }
      await record(mail, failure).catch((err) =>
        ctx.log.error('email attempt not recorded; it is due again once its lease ends', { email_id: mail.id, sent: failure === undefined, lease_ms: settings.EMAIL_LEASE_MS, error: describe(err) }),
      )
      return failure
    }

    async function round() {
      while (!stopped) {
        const claimed = await claimDue(ctx.db, settings.EMAIL_LEASE_MS)
        const failures = (await Promise.all(claimed.map(deliver))).filter((f) => f !== undefined)
        const unreached = failures.filter((f) => !f.refused)
        if (unreached.length > 0 && failures.length === claimed.length) {
          // Not one went out: the server is away, most likely; the rest waits for the next round.
          ctx.log.warn('emails not sent; they wait in the outbox and will be tried again', { emails: unreached.length, error: unreached[0]!.error })
          return
        }
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
