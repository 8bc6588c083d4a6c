import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { authApi } from '../../api/auth/app.ts'
import { parseConfig, silentLogger } from '../../core/index.ts'
import { emails } from '../../schemas/db/auth.ts'
import { RABBITMQ_URL, waitFor } from '../../test/broker.ts'
import { post, startService, type Service } from '../../test/service.ts'
import { startSmtpSink } from '../../test/smtp.ts'
import { WorkerConfig } from '../kit/config.ts'
import { startWorker } from '../kit/run.ts'
import { smtpMailer, type Mailer } from '../kit/email-sender.ts'
import { AuthSettings } from './settings.ts'
import { authWorker } from './worker.ts'

let s: Service
let smtp: Awaited<ReturnType<typeof startSmtpSink>>
let mailer: ReturnType<typeof watchedMailer>
let settings: AuthSettings

/** The SMTP mailer, noting each send as it starts; sends to an address in `slow` take 3 s more. */
function watchedMailer(url: string) {
  const inner = smtpMailer(url)
  const started: string[] = []
  const slow = new Set<string>()
  const mailer: Mailer & { started: string[]; slow: Set<string> } = {
    started,
    slow,
    async send(mail) {
      started.push(mail.to)
      if (slow.has(mail.to)) await Bun.sleep(3_000)
      return inner.send(mail)
    },
    close: () => inner.close(),
  }
  return mailer
}

const address = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`
const url = (path: string) => s.url(`/auth/api${path}`)
const register = (email: string) => post(url('/register'), { email, password: 'correct horse 42', role: 'student', first_name: 'Ana', last_name: 'Diallo' })
const row = async (recipient: string) => (await s.database.db.select().from(emails).where(eq(emails.recipient, recipient)))[0]

/** How many transactions of the worker applied more than one message. */
async function sharedTransactions(): Promise<number> {
  const text = await s.worker!.metrics.render()
  const value = (series: string) => Number(new RegExp(`^medtrack_batch_size${series} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
  return value('_count') - value('_bucket\\{le="1"\\}')
}

/** Puts an email in the outbox as a handler would (`createdAt` to make it older than it is, `expiresAt` for its link's end). */
async function queueEmail(recipient: string, createdAt = new Date(), expiresAt: Date | null = null) {
  const id = crypto.randomUUID()
  await s.database.db.insert(emails).values({ id, recipient, subject: 'Hello', text: 'Open https://medtrack.example.org/verify?token=abc_DEF-123 today.\n', createdAt, expiresAt })
  return id
}

beforeAll(async () => {
  smtp = await startSmtpSink()
  mailer = watchedMailer(smtp.url)
  settings = parseConfig(AuthSettings, { SMTP_URL: smtp.url, PUBLIC_URL: 'https://medtrack.example.org', EMAIL_RETRY_MS: '300,600', EMAIL_POLL_MS: '50', EMAIL_GIVE_UP_MS: '60000' })
  // One transaction at a time, so messages that arrive while one runs share the next.
  s = await startService({ label: 'authmail', api: authApi, worker: authWorker(settings, mailer), env: { BATCH_CONCURRENCY: '1' } })
})

afterAll(async () => {
  await s.close()
  await smtp.stop()
})

describe('the auth email sender', () => {
  test('an email whose recording shares a transaction with a refused command is sent once', async () => {
    let release!: () => void
    const released = new Promise<void>((r) => (release = r))
    // A registration that waits on a lock holds the worker's only transaction slot meanwhile.
    const holding = s.database.db.transaction(async (tx) => {
      await tx.execute(sql`lock table auth.users in exclusive mode`)
      await released
    })
    const shared = await sharedTransactions()
    const registering = register(address('held'))
    await waitFor(
      async () => ((await s.database.db.execute(sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)) as unknown[]).length > 0,
      5_000,
      'the registration waiting on the lock',
    )
    const recipient = address('once')
    await queueEmail(recipient)
    await Bun.sleep(400)
    const refused = post(url('/verify'), { token: 'no-such-token' })
    await Bun.sleep(400)
    release()
    await holding

    expect((await registering).status).toBe(201)
    expect((await refused).status).toBe(422)
    await waitFor(async () => (await row(recipient))?.status === 'sent', 5_000, 'the email recorded as sent')
    expect(await sharedTransactions()).toBeGreaterThan(shared)
    await Bun.sleep(300)
    expect(mailer.started.filter((to) => to === recipient)).toHaveLength(1)
    expect(smtp.to(recipient)).toHaveLength(1)
  })

  test('a slow SMTP server does not hold up commands', async () => {
    const recipient = address('slow')
    mailer.slow.add(recipient)
    await queueEmail(recipient)
    await waitFor(() => mailer.started.includes(recipient), 5_000, 'the slow send to start')
    const started = Date.now()
    const res = await register(address('meanwhile'))
    expect(res.status).toBe(201)
    expect(Date.now() - started).toBeLessThan(1_500)
    expect((await row(recipient))!.status).toBe('pending')
    await waitFor(async () => (await row(recipient))?.status === 'sent', 10_000, 'the slow email recorded as sent')
    expect(smtp.to(recipient)).toHaveLength(1)
  })

  test('once sent, or given up, the stored email keeps its text but not the link\'s token', async () => {
    const sent = address('sent')
    await queueEmail(sent)
    await waitFor(async () => (await row(sent))?.status === 'sent', 5_000, 'the email sent')
    expect(smtp.to(sent)[0]!.text).toContain('verify?token=abc_DEF-123')
    expect((await row(sent))!.text).toBe('Open https://medtrack.example.org/verify?token=[used] today.\n')

    await smtp.stop()
    // Older than EMAIL_GIVE_UP_MS: its first failure is its last.
    const lost = address('lost')
    await queueEmail(lost, new Date(Date.now() - 120_000))
    await waitFor(async () => (await row(lost))?.status === 'failed', 10_000, 'the email given up')
    await smtp.start()
    expect(await row(lost)).toMatchObject({ attempts: 1, text: 'Open https://medtrack.example.org/verify?token=[used] today.\n' })
  })

  test('an SMTP server away for longer than the retry delays: the email waits, tried again at the last delay, and goes out with its link once the server is back', async () => {
    await smtp.stop()
    const waiting = address('waiting')
    await queueEmail(waiting)
    // Two delays (300, 600 ms), then 600 ms again and again: well past the schedule, still pending.
    await waitFor(async () => ((await row(waiting))?.attempts ?? 0) >= 5, 10_000, 'five attempts')
    expect(await row(waiting)).toMatchObject({ status: 'pending', text: 'Open https://medtrack.example.org/verify?token=abc_DEF-123 today.\n' })
    await smtp.start()
    await waitFor(async () => (await row(waiting))?.status === 'sent', 5_000, 'the email sent once the server is back')
    expect(smtp.to(waiting)).toHaveLength(1)
    expect(smtp.to(waiting)[0]!.text).toContain('verify?token=abc_DEF-123')
  })

  test('an email whose link expired before it could go out is given up unsent', async () => {
    const late = address('late')
    await queueEmail(late, new Date(), new Date(Date.now() - 1_000))
    await waitFor(async () => (await row(late))?.status === 'failed', 5_000, 'the email given up')
    expect(await row(late)).toMatchObject({ attempts: 1, lastError: 'its link expired before it could be sent', text: 'Open https://medtrack.example.org/verify?token=[used] today.\n' })
    expect(smtp.to(late)).toHaveLength(0)
  })

  test('a 5xx to the sender address (our setting, not the email) gives nothing up: the emails wait and go out once the server takes them', async () => {
    smtp.settings.refusesSenders = true
    const waiting = [address('from-a'), address('from-b')]
    for (const a of waiting) await queueEmail(a)
    try {
      await waitFor(async () => (await Promise.all(waiting.map(row))).every((r) => (r?.attempts ?? 0) >= 2), 10_000, 'two refused attempts each')
      expect((await Promise.all(waiting.map(row))).map((r) => r!.status)).toEqual(['pending', 'pending'])
    } finally {
      smtp.settings.refusesSenders = false
    }
    await waitFor(async () => (await Promise.all(waiting.map(row))).every((r) => r?.status === 'sent'), 10_000, 'both sent')
  })

  test('while the server is away the sender tries one email at a time, not the whole outbox; once it is back every email goes out', async () => {
    await smtp.stop()
    const many = Array.from({ length: 25 }, (_, i) => address(`many${i}`))
    for (const a of many) await queueEmail(a)
    await Bun.sleep(2_000)
    // The first look tries one batch (10); after that one email per look.
    const attempts = (await Promise.all(many.map(row))).reduce((n, r) => n + r!.attempts, 0)
    expect(attempts).toBeGreaterThanOrEqual(1)
    expect(attempts).toBeLessThanOrEqual(20)
    await smtp.start()
    await waitFor(async () => (await Promise.all(many.map(row))).every((r) => r?.status === 'sent'), 15_000, 'every email sent')
    for (const a of many) expect(smtp.to(a)).toHaveLength(1)
  }, 30_000)

  test('an address the server refuses for good (550) is given up at its first attempt; the others go out', async () => {
    const refused = address('refused')
    const fine = address('fine')
    smtp.refused.add(refused)
    await queueEmail(refused)
    await queueEmail(fine)
    await waitFor(async () => (await row(refused))?.status === 'failed' && (await row(fine))?.status === 'sent', 5_000, 'one given up, one sent')
    expect(await row(refused)).toMatchObject({ attempts: 1, lastError: expect.stringContaining('550') })
    expect(smtp.to(refused)).toHaveLength(0)
  })

  test('an email another replica has claimed is left alone until its lease ends, then sent once; two workers send each email once', async () => {
    const claimed = address('claimed')
    const id = await queueEmail(claimed)
    await s.database.db.execute(sql`update auth.emails set next_attempt_at = now() + interval '1 second' where id = ${id}`)
    await Bun.sleep(600)
    expect(mailer.started).not.toContain(claimed)
    await waitFor(async () => (await row(claimed))?.status === 'sent', 5_000, 'the email sent after the lease')
    expect(smtp.to(claimed)).toHaveLength(1)

    const second = await startWorker(
      authWorker(settings, smtpMailer(smtp.url)),
      parseConfig(WorkerConfig, { DATABASE_URL: s.database.url, RABBITMQ_URL, MEDTRACK_NAMESPACE: s.namespace, LOG_LEVEL: 'error', PORT: '0' }),
      silentLogger,
    )
    try {
      const recipients = Array.from({ length: 30 }, (_, i) => address(`many${i}`))
      for (const r of recipients) await queueEmail(r)
      await waitFor(async () => (await Promise.all(recipients.map(row))).every((m) => m?.status === 'sent'), 10_000, 'every email sent')
      await Bun.sleep(300)
      for (const r of recipients) expect(smtp.to(r)).toHaveLength(1)
    } finally {
      await second.close()
    }
  })
})
