import { and, asc, eq, lte } from 'drizzle-orm'
import nodemailer from 'nodemailer'
import { describe } from '../../core/index.ts'
import { emails } from '../../schemas/db/auth.ts'
import type { BackgroundContext } from '../kit/define.ts'
import type { AuthSettings } from './settings.ts'

export interface Mailer {
  send(mail: { from: string; to: string; subject: string; text: string; html?: string }): Promise<unknown>
  close(): void
}

export function smtpMailer(url: string): Mailer {
  const transport = nodemailer.createTransport(url, { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 15_000 } as never)
  return { send: (mail) => transport.sendMail(mail), close: () => transport.close() }
}

/**
 * The email outbox's sender: every due `pending` email is sent over SMTP. A
 * failure is retried after the next delay of EMAIL_RETRY_MS; after the last
 * one the email is `failed`. Each attempt is recorded with its event
 * (`email.sent` / `email.failed`) in one transaction, once per attempt even
 * with several workers, which skip the rows another one holds.
 */
export function emailSender(settings: AuthSettings, mailer: Mailer = smtpMailer(settings.SMTP_URL)) {
  const delays = settings.EMAIL_RETRY_MS.split(',').map(Number)

  return (ctx: BackgroundContext) => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let running: Promise<void> = Promise.resolve()

    async function attempt(id: string, attemptNo: number) {
      await ctx.apply(`email:${id}:${attemptNo}`, async ({ tx, emit }) => {
        const [mail] = await tx.select().from(emails).where(and(eq(emails.id, id), eq(emails.status, 'pending'), eq(emails.attempts, attemptNo))).for('update', { skipLocked: true })
        if (!mail) return
        try {
          await mailer.send({ from: settings.EMAIL_FROM, to: mail.recipient, subject: mail.subject, text: mail.text, ...(mail.html ? { html: mail.html } : {}) })
          await tx.update(emails).set({ status: 'sent', attempts: attemptNo + 1, sentAt: new Date(), lastError: null }).where(eq(emails.id, id))
          emit('email.sent', { email_id: id, recipient: mail.recipient, subject: mail.subject })
        } catch (err) {
          const error = describe(err).slice(0, 500)
          const delay = delays[attemptNo]
          if (delay === undefined) {
            await tx.update(emails).set({ status: 'failed', attempts: attemptNo + 1, lastError: error }).where(eq(emails.id, id))
            emit('email.failed', { email_id: id, recipient: mail.recipient, error })
            ctx.log.error('email given up', { email_id: id, attempts: attemptNo + 1, error })
          } else {
            await tx.update(emails).set({ attempts: attemptNo + 1, lastError: error, nextAttemptAt: new Date(Date.now() + delay) }).where(eq(emails.id, id))
            ctx.log.warn('email not sent; will retry', { email_id: id, attempts: attemptNo + 1, retry_in_ms: delay, error })
          }
        }
      })
    }

    async function round() {
      const due = await ctx.db
        .select({ id: emails.id, attempts: emails.attempts })
        .from(emails)
        .where(and(eq(emails.status, 'pending'), lte(emails.nextAttemptAt, new Date())))
        .orderBy(asc(emails.nextAttemptAt))
        .limit(20)
      for (const mail of due) {
        if (stopped) return
        await attempt(mail.id, mail.attempts).catch((err) => ctx.log.warn('email attempt failed', { email_id: mail.id, error: describe(err) }))
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
