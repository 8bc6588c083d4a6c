import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { Names, parseConfig, silentLogger } from '../../core/index.ts'
import { users } from '../../schemas/db/auth.ts'
import { RABBITMQ_URL, waitFor } from '../../test/broker.ts'
import { bearer, startService, tokenFor, type Service } from '../../test/service.ts'
import { AuthSettings } from '../../workers/auth/settings.ts'
import { authWorker } from '../../workers/auth/worker.ts'
import { WorkerConfig } from '../../workers/kit/config.ts'
import { startWorker, type RunningWorker } from '../../workers/kit/run.ts'
import { authApi } from './app.ts'

// A database of its own: each test starts with no admin account. Two worker replicas, each applying one command at a time.
let s: Service
let replica: RunningWorker

const request = (method: string, path: string, token: string) => fetch(s.url(`/auth/api${path}`), { method, headers: bearer(token) })
const deleteUser = (id: string, token: string) => request('DELETE', `/users/${id}`, token)

interface Account {
  id: string
  token: string
}

/** An account and its token, made straight in auth's table as the platform's first admin is. */
async function newAccount(role: 'admin' | 'student' = 'admin'): Promise<Account> {
  const id = crypto.randomUUID()
  await s.database.db.insert(users).values({ id, email: `${role}-${id.slice(0, 8)}@example.org`, role, firstName: 'Ad', lastName: 'Min', verifiedAt: new Date() })
  return { id, token: await tokenFor(role, id) }
}

/** Counts the `auth.delete_user` commands the APIs send from now on. */
async function tapDeleteCommands() {
  let count = 0
  const consumer = s.connection.createConsumer(
    { queue: '', queueOptions: { exclusive: true, autoDelete: true }, queueBindings: [{ exchange: new Names(s.namespace).commands, routingKey: 'auth.delete_user' }] },
    () => void count++,
  )
  await new Promise((r) => consumer.once('ready', r))
  return { count: () => count, close: () => consumer.close() }
}

/** How many transactions wait on a lock in the test's database. */
async function waitingOnLocks(): Promise<number> {
  const [row] = await s.database.db.execute<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)
  return row!.n
}

const adminIds = async () => (await s.database.db.select({ id: users.id }).from(users).where(eq(users.role, 'admin'))).map((u) => u.id)

const LAST_ADMIN = {
  error: 'CONFLICT',
  message: 'the last admin account cannot be deleted',
  problems: [{ path: '/params/id', message: 'is the last admin account' }],
}

beforeAll(async () => {
  const worker = authWorker(parseConfig(AuthSettings, {}))
  s = await startService({ label: 'auth_admins', api: authApi, worker, env: { PREFETCH: '1' } })
  const config = { DATABASE_URL: s.database.url, RABBITMQ_URL, MEDTRACK_NAMESPACE: s.namespace, LOG_LEVEL: 'error', PORT: '0', PREFETCH: '1' }
  replica = await startWorker(worker, parseConfig(WorkerConfig, config), silentLogger)
})

beforeEach(async () => {
  await s.database.db.delete(users).where(eq(users.role, 'admin'))
})

afterAll(async () => {
  await replica.close()
  await s.close()
})

describe('the last admin account', () => {
  test('cannot be deleted: 409 naming /params/id, and the account still works; while another admin exists, either may go', async () => {
    const first = await newAccount()
    const refused = await deleteUser(first.id, first.token)
    expect(refused.status).toBe(409)
    expect(await refused.json()).toEqual(LAST_ADMIN)
    expect((await request('GET', '/me', first.token)).status).toBe(200)

    const second = await newAccount()
    const student = await newAccount('student')
    expect((await deleteUser(student.id, second.token)).status).toBe(200)
    const byOther = await deleteUser(first.id, second.token)
    expect(byOther.status).toBe(200)
    expect(await byOther.json()).toEqual({ id: first.id, deleted: true })

    // The id in upper case is the same account.
    const again = await deleteUser(second.id.toUpperCase(), second.token)
    expect(again.status).toBe(409)
    expect(await again.json()).toEqual(LAST_ADMIN)
    expect(await adminIds()).toEqual([second.id])
  })

  test('two admins deleting each other at the same moment: one is deleted, the other refused with 409, never both', async () => {
    const a = await newAccount()
    const b = await newAccount()
    const sent = await tapDeleteCommands()
    let both: Promise<Response[]> | undefined
    // The admin rows stay locked until both requests passed the API's checks and each replica's transaction waits on them.
    await s.database.db.transaction(async (tx) => {
      await tx.select().from(users).where(eq(users.role, 'admin')).for('update')
      both = Promise.all([deleteUser(b.id, a.token), deleteUser(a.id, b.token)])
      await waitFor(() => sent.count() === 2, 5_000, 'both delete commands sent')
      await waitFor(async () => (await waitingOnLocks()) === 2, 5_000, 'both deletions waiting')
    })
    const answers = await both!
    await sent.close()

    expect(answers.map((r) => r.status).sort()).toEqual([200, 409])
    const [deleted, remaining] = answers[0]!.status === 200 ? [b, a] : [a, b]
    expect(await answers.find((r) => r.status === 409)!.json()).toEqual(LAST_ADMIN)
    expect(await adminIds()).toEqual([remaining.id])
    expect((await request('GET', '/me', remaining.token)).status).toBe(200)
    expect((await request('GET', '/me', deleted.token)).status).toBe(401)
  })
})
