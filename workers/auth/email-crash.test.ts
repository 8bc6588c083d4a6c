import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { Connection } from 'rabbitmq-client'
import { deleteTopology } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { emails } from '../../schemas/db/auth.ts'
import { RABBITMQ_URL, testNamespace, waitFor } from '../../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import { spawnEntry, type Child } from '../../test/processes.ts'
import { startSmtpSink } from '../../test/smtp.ts'
import { startProxy } from '../../test/tcp-proxy.ts'

let database: TestDatabase
let smtp: Awaited<ReturnType<typeof startSmtpSink>>
let toPostgres: Awaited<ReturnType<typeof startProxy>>
const namespace = testNamespace('mail-crash')
const children: Child[] = []

/** The auth worker as a real process, its database reached through `databaseUrl`. */
function authWorker(databaseUrl: string): Child {
  const child = spawnEntry('workers/auth/main.ts', {
    DATABASE_URL: databaseUrl,
    RABBITMQ_URL,
    MEDTRACK_NAMESPACE: namespace,
    PORT: '0',
    SMTP_URL: smtp.url,
    EMAIL_POLL_MS: '50',
    EMAIL_LEASE_MS: '1000',
    EMAIL_FROM: 'MedTrack <no-reply@school.example.org>',
    LOG_LEVEL: 'info',
  })
  children.push(child)
  return child
}

beforeAll(async () => {
  database = await createTestDatabase('mail_crash')
  smtp = await startSmtpSink()
  toPostgres = await startProxy(5432)
})
afterAll(async () => {
  for (const c of children) c.proc.kill('SIGKILL')
  await Promise.all(children.map((c) => c.exited))
  toPostgres.stop()
  await smtp.stop()
  const connection = new Connection(RABBITMQ_URL)
  await deleteTopology(connection, { namespace, commands: commandBindings() })
  await connection.close()
  await database.drop()
})

describe('an email sent again after the worker died', () => {
  test('killed after the SMTP server accepted the email and before recording it: the copy sent again has the same Message-ID, derived from the email id', async () => {
    const viaProxy = new URL(database.url)
    viaProxy.port = String(toPostgres.port)
    const first = authWorker(viaProxy.href)
    await first.waitForLine(/"worker started"/, 20_000)

    // The moment the server has the email: the worker can no longer record it, and dies right after the server accepts.
    smtp.hooks.beforeAccept = () => toPostgres.cut()
    smtp.hooks.afterAccept = () => first.proc.kill('SIGKILL')
    const id = crypto.randomUUID()
    const recipient = `twice-${id.slice(0, 8)}@example.org`
    await database.db.insert(emails).values({ id, recipient, subject: 'Confirm your MedTrack email address', text: 'Hello Ana,\n' })
    await waitFor(() => smtp.to(recipient).length === 1, 15_000, 'the first copy')
    expect(await first.exited).not.toBe(0)
    smtp.hooks.beforeAccept = undefined
    smtp.hooks.afterAccept = undefined
    await toPostgres.restore()
    expect((await database.db.select().from(emails).where(eq(emails.id, id)))[0]!.status).toBe('pending')

    const second = authWorker(database.url)
    await second.waitForLine(/"worker started"/, 20_000)
    await waitFor(() => smtp.to(recipient).length === 2, 15_000, 'the copy sent again after the lease')
    await waitFor(async () => (await database.db.select().from(emails).where(eq(emails.id, id)))[0]!.status === 'sent', 10_000, 'the email recorded as sent')

    const [a, b] = smtp.to(recipient)
    expect(a!.messageId).toBe(`<${id}@school.example.org>`)
    expect(b!.messageId).toBe(a!.messageId)
  }, 60_000)
})
