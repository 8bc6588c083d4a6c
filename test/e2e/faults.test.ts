import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { deleteTopology, Names, type Envelope } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { connect, dropConnection, messageCount, RABBITMQ_URL, tapEvents, testNamespace, waitFor, type EventTap } from '../broker.ts'
import { createTestDatabase, type TestDatabase } from '../database.ts'
import { spawnEntry, type Child } from '../processes.ts'
import { startProxy } from '../tcp-proxy.ts'

/**
 * The runtime's promises under faults, with every worker a real process: a
 * burst of commands (each student created, updated, deleted) and the events
 * they cause, while the producing worker is killed, its broker connection cut
 * and its database made unreachable.
 */
const namespace = testNamespace('faults')
const names = new Names(namespace)
const broker = connect('faults-test')
const TIERS = [200, 400, 800, 1_600, 3_200]
const SERVICES = ['profile', 'core', 'comm'] as const
const STUDENTS = 60
let database: TestDatabase
let toPostgres: Awaited<ReturnType<typeof startProxy>>
let tap: EventTap
const running = new Map<string, Child>()

function startWorker(service: (typeof SERVICES)[number]): Promise<string> {
  const viaProxy = new URL(database.url)
  viaProxy.port = String(toPostgres.port)
  const child = spawnEntry(`workers/${service}/main.ts`, {
    DATABASE_URL: service === 'profile' ? viaProxy.href : database.url,
    RABBITMQ_URL,
    MEDTRACK_NAMESPACE: namespace,
    PORT: '0',
    RETRY_TIERS: TIERS.join(','),
    RELAY_INTERVAL_MS: '200',
    RELAY_AFTER_MS: '1000',
    LOG_LEVEL: 'info',
  })
  running.set(service, child)
  return child.waitForLine(/"worker started"/, 20_000)
}

const rows = async <T>(query: ReturnType<typeof sql>) => (await database.db.execute(query)) as unknown as T[]
const results = (type: string) => rows<{ command_id: string; body: { id?: string } }>(sql`select command_id, body from profile.command_results where command_type = ${type} and outcome = 'succeeded'`)

async function send(type: string, commandId: string, payload: Record<string, unknown>) {
  const publisher = broker.createPublisher({ confirm: true })
  await publisher.send(
    { exchange: names.commands, routingKey: type, messageId: commandId, type, durable: true, contentType: 'application/json' },
    { command_id: commandId, command_type: type, correlation_id: null, actor: { user_id: crypto.randomUUID(), role: 'admin' }, payload },
  )
  await publisher.close()
}

beforeAll(async () => {
  database = await createTestDatabase('faults')
  toPostgres = await startProxy(5432)
  tap = await tapEvents(broker, namespace, 'student.*')
  await Promise.all(SERVICES.map(startWorker))
}, 60_000)

afterAll(async () => {
  for (const c of running.values()) c.proc.kill('SIGKILL')
  await Promise.all([...running.values()].map((c) => c.exited))
  await tap.close()
  toPostgres.stop()
  await deleteTopology(broker, { namespace, services: [...SERVICES], retryTiers: TIERS, commands: commandBindings() })
  await broker.close()
  await database.drop()
}, 30_000)

describe('a burst through a killed worker, a cut broker connection and an unreachable database', () => {
  test('every command applied once, every effect once, each student\'s events in commit order at the consumers, every dead-letter queue empty', async () => {
    const creates = Array.from({ length: STUDENTS }, (_, i) => ({ id: crypto.randomUUID(), email: `fault-${i}-${namespace.slice(-8)}@example.org` }))
    await Promise.all(creates.map((c) => send('profile.create_student', c.id, { email: c.email, first_name: 'Fault' })))

    // The producer dies mid-burst and comes back.
    await waitFor(async () => (await results('profile.create_student')).length >= 10, 20_000, 'the first students created')
    running.get('profile')!.proc.kill('SIGKILL')
    await running.get('profile')!.exited
    await startWorker('profile')

    const updates = new Map<string, string>()
    const deletes = new Map<string, string>()
    let brokerCut = false
    let databaseCut = false
    await waitFor(
      async () => {
        // Each student created is updated, each updated deleted, as the results come in.
        for (const r of await results('profile.create_student')) {
          if (!updates.has(r.body.id!)) {
            updates.set(r.body.id!, crypto.randomUUID())
            await send('profile.update_student', updates.get(r.body.id!)!, { student_id: r.body.id, fields: { phone: '+212 600 000 000' } })
          }
        }
        for (const r of await results('profile.update_student')) {
          const studentId = [...updates].find(([, commandId]) => commandId === r.command_id)![0]
          if (!deletes.has(studentId)) {
            deletes.set(studentId, crypto.randomUUID())
            await send('profile.delete_student', deletes.get(studentId)!, { student_id: studentId })
          }
        }
        if (!brokerCut && updates.size >= 20) {
          brokerCut = true
          await dropConnection('profile-worker')
        }
        if (!databaseCut && deletes.size >= 20) {
          databaseCut = true
          await toPostgres.cut()
          await Bun.sleep(1_500)
          await toPostgres.restore()
        }
        return (await results('profile.delete_student')).length === STUDENTS
      },
      60_000,
      'every student created, updated and deleted',
    )
    expect(brokerCut && databaseCut).toBe(true)

    // The consumers catch up: every student welcomed once, tracked once, then remembered as deleted.
    const ids = [...updates.keys()]
    const count = async (query: ReturnType<typeof sql>) => (await rows<{ n: number }>(query))[0]!.n
    const inIds = sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)
    await waitFor(async () => (await count(sql`select count(*)::int as n from comm.students where deleted_at is not null and student_id in (${inIds})`)) === STUDENTS, 30_000, 'comm saw every deletion')
    await waitFor(async () => (await count(sql`select count(*)::int as n from core.student_directory where deleted_at is not null and student_id in (${inIds})`)) === STUDENTS, 30_000, 'core saw every deletion')
    await Bun.sleep(1_500)

    expect(await count(sql`select count(*)::int as n from profile.students where id in (${inIds})`)).toBe(0)
    for (const type of ['profile.create_student', 'profile.update_student', 'profile.delete_student']) {
      expect(await count(sql`select count(*)::int as n from profile.command_results where command_type = ${type}`)).toBe(STUDENTS)
    }
    // Applied once each: one event per command in the producer's outbox.
    for (const type of ['student.created', 'student.updated', 'student.deleted']) {
      expect(await count(sql`select count(*)::int as n from profile.outbox where event_type = ${type}`)).toBe(STUDENTS)
    }
    expect(await count(sql`select count(*)::int as n from comm.notifications where type = 'welcome'`)).toBe(STUDENTS)
    expect(await count(sql`select count(*)::int as n from core.stage_tracking where student_id in (${inIds})`)).toBe(STUDENTS)

    // At a consumer, each event's first arrival comes in its producer's commit order: created, updated, deleted.
    const firstArrivals = new Map<string, Envelope>()
    for (const e of tap.envelopes()) if (!firstArrivals.has(e.event_id)) firstArrivals.set(e.event_id, e)
    const order = new Map<string, string[]>()
    for (const e of firstArrivals.values()) {
      const id = e.payload.student_id as string
      order.set(id, [...(order.get(id) ?? []), e.event_type])
    }
    expect(order.size).toBe(STUDENTS)
    for (const [id, types] of order) expect({ id, types }).toEqual({ id, types: ['student.created', 'student.updated', 'student.deleted'] })

    for (const s of SERVICES) expect({ queue: names.deadQueue(s), dead: await messageCount(broker, names.deadQueue(s)) }).toEqual({ queue: names.deadQueue(s), dead: 0 })
  }, 120_000)
})
