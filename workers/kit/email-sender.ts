import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm'
import nodemailer from 'nodemailer'
import { describe, type Database } from '../../core/index.ts'
import type { EmailOutbox, OutboxEmail } from '../../schemas/db/emails.ts'
import type { BackgroundContext } from './define.ts'
import type { EmailSettings } from './email-settings.ts'
import { withoutTokens } from './mail.ts'

export interface Mailer {
  send(mail: { from: string; to: string; subject: string; text: string; html?: string; messageId: string }): Promise<unknown>
  close(): void
}

export function smtpMailer(url: string): Mailer {
  const transport = nodemailer.createTransport(url, { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 15_000 } as never)
  return { send: (mail) => transport.sendMail(mail), close: () => transport.close() }
}

type Email = OutboxEmail

/**
 * The `Message-ID` of an email, derived from its id, at the sender's domain:
 * every copy sent again (after a crash between the server's acceptance and
 * its recording) is the same message to mail servers and clients.
 */
export function messageIdOf(emailId: string, from: string): string {
  const domain = /@([^\s>@]+)>?\s*$/.exec(from)?.[1] ?? 'medtrack.local'
  return `<${emailId}@${domain}>`
}

/** Emails claimed at once by one sender. */
const CLAIM_LIMIT = 10

/** The longest pause between two looks at the outbox while the SMTP server cannot be reached. */
const MAX_OUTAGE_PAUSE_MS = 60_000

/** The database's clock `ms` from now (inside a transaction: from its start). */
const fromNow = (ms: number) => sql`now() + make_interval(secs => ${ms / 1000})`

/**
 * Claims up to CLAIM_LIMIT due `pending` emails in one statement of its own:
 * their `next_attempt_at` moves `leaseMs` ahead, so other senders skip them,
 * and they are due again if this one never records the attempt.
 */
function claimDue(emails: EmailOutbox, db: Database, leaseMs: number, limit: number): Promise<Email[]> {
  const due = db
    .select({ id: emails.id })
    .from(emails)
    .where(and(eq(emails.status, 'pending'), lte(emails.nextAttemptAt, sql`now()`)))
    .orderBy(asc(emails.nextAttemptAt))
    .limit(limit)
    .for('update', { skipLocked: true })
  return db.update(emails).set({ nextAttemptAt: fromNow(leaseMs) }).where(inArray(emails.id, due)).returning()
}

/** One attempt's failure: what to record, and whether the server refused this email for good. */
interface Failure {
  error: string
  refused: boolean
}

/**
 * Whether an SMTP error refuses this very email for good: a 5xx answer to its
 * recipient or to its content. A 5xx to anything else (the connection, the
 * login, the sender address) says the server or our settings are wrong, for
 * every email alike: they wait for that to be mended.
 */
function refusesThisEmail(err: unknown): boolean {
  const { responseCode, command } = err as { responseCode?: unknown; command?: unknown }
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600 && (command === 'RCPT TO' || command === 'DATA')
}

/**
 * The sender of a service's email outbox (`emails`, in the service's schema;
 * attempts are recorded in its inbox, events emitted through its outbox):
 * every due `pending` email is claimed, sent over SMTP with no transaction open, and the attempt recorded with its event
 * (`email.sent`, or `email.failed` once given up, with its subject) as a unit of work of its own
 * that touches nothing but the database, so re-running it is harmless. A
 * failure is retried after the next delay of EMAIL_RETRY_MS, the last one
 * repeating, until its link expires or it is EMAIL_GIVE_UP_MS old:
 * an SMTP server away for hours delays the emails, it does not lose them. One
 * whose link expired before it could go out is given up unsent; one the
 * server refuses for good (a 5xx to its recipient or content) at once. A sent
 * or given-up email keeps no one-time token. Several workers share the
 * outbox: each skips what another has claimed. While the server cannot be
 * reached the sender tries one email at a time, ever less often (up to once a
 * minute), and says so when that starts and when it ends.
 */
export function emailSender(emails: EmailOutbox, settings: EmailSettings, mailer: Mailer = smtpMailer(settings.SMTP_URL)) {
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
        if (failure.refused || Date.now() + delay > deadline(mail)) {
          const [failed] = await tx.update(emails).set({ status: 'failed', attempts: attemptNo + 1, lastError: error, ...spent }).where(unrecorded).returning({ id: emails.id })
          if (!failed) return
          emit('email.failed', { email_id: mail.id, recipient: mail.recipient, error, subject: mail.subject })
          ctx.log.error('email given up', { email_id: mail.id, attempts: attemptNo + 1, refused: failure.refused, error })
        } else {
          await tx.update(emails).set({ attempts: attemptNo + 1, lastError: error, nextAttemptAt: fromNow(delay) }).where(unrecorded)
        }
      })
    }

    /** When an email is given up: when its link expires, or EMAIL_GIVE_UP_MS after it was queued, whichever comes first. */
    const deadline = (mail: Email) => Math.min(mail.expiresAt?.getTime() ?? Infinity, mail.createdAt.getTime() + settings.EMAIL_GIVE_UP_MS)

    /** Sends one email (unless its link has expired) and records the attempt; resolves with what went wrong, if anything. */
    async function deliver(mail: Email): Promise<Failure | undefined> {
      let failure: Failure | undefined
      if (Date.now() >= deadline(mail)) failure = { error: 'its link expired before it could be sent', refused: true }
      else {
        try {
          await mailer.send({ from: settings.EMAIL_FROM, to: mail.recipient, subject: mail.subject, text: mail.text, ...(mail.html ? { html: mail.html } : {}), messageId: messageIdOf(mail.id, settings.EMAIL_FROM) })
        } catch (err) {
          failure = { error: describe(err).slice(0, 500), refused: refusesThisEmail(err) }
        }
      }
      await record(mail, failure).catch((err) =>
        ctx.log.error('email attempt not recorded; it is due again once its lease ends', { email_id: mail.id, sent: failure === undefined, lease_ms: settings.EMAIL_LEASE_MS, error: describe(err) }),
      )
      return failure
    }

    /** While the server cannot be reached: how long the sender pauses between looks (0: it can). */
    let outagePause = 0

    async function round() {
      while (!stopped) {
        // During an outage one email at a time tells whether the server is back.
        const claimed = await claimDue(emails, ctx.db, settings.EMAIL_LEASE_MS, outagePause > 0 ? 1 : CLAIM_LIMIT)
        const failures = (await Promise.all(claimed.map(deliver))).filter((f) => f !== undefined)
        const unreached = failures.filter((f) => !f.refused)
        if (unreached.length > 0 && failures.length === claimed.length) {
          // Not one went out and the server did not refuse them: it is away (or our settings are wrong).
          if (outagePause === 0) ctx.log.warn('the SMTP server cannot be reached; emails wait in the outbox and are tried again', { error: unreached[0]!.error })
          // Never less often than emails fall due again.
          outagePause = Math.min(MAX_OUTAGE_PAUSE_MS, delays.at(-1)!, Math.max(settings.EMAIL_POLL_MS, outagePause * 2))
          return
        }
        if (outagePause > 0 && failures.length < claimed.length) {
          ctx.log.info('the SMTP server is reachable again; the waiting emails go out')
          outagePause = 0
          continue
        }
        if (claimed.length < CLAIM_LIMIT) return
      }
    }

    const tick = () => {
      running = round()
        .catch((err) => ctx.log.warn('email outbox unreadable', { error: describe(err) }))
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, outagePause || settings.EMAIL_POLL_MS)
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
