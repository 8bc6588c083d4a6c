/**
 * The audit trail under a burst: the ops worker (a real process) keeps
 * `events` events published on the exchange, `concurrency` unconfirmed at
 * once, of several types; measured from the first publish to the last row
 * kept, with the transactions (batches) it took.
 */
import { sql } from 'drizzle-orm'
import { Connection } from 'rabbitmq-client'
import { createPublisher, deleteTopology, dropDatabase, migrateDatabase, openDatabase } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { spawnEntry } from '../../test/processes.ts'
import { MIGRATIONS } from '../migrate.ts'

export interface AuditOptions {
  rabbitUrl: string
  postgresServer: string
  events: number
  concurrency: number
}

const KEPT_POLL_MS = 20

/** The `i`th event of the burst: a stage started, a stage completed or a student created, in turn. */
function publishOne(publisher: ReturnType<typeof createPublisher<typeof catalogue>>, i: number) {
  const id = crypto.randomUUID()
  if (i % 3 === 0) return publisher.publish('stage.started', { stage_id: id, actual_start_date: '2026-12-01' })
  if (i % 3 === 1) return publisher.publish('stage.completed', { stage_id: id, completion_date: '2026-12-01' })
  return publisher.publish('student.created', { student_id: id, user_id: crypto.randomUUID(), email: `student${i}@bench.example.org` })
}

export async function benchAudit(o: AuditOptions) {
  const namespace = `bench-${crypto.randomUUID().slice(0, 8)}`
  const databaseUrl = `${o.postgresServer}/medtrack_${namespace.replace('-', '_')}`
  await migrateDatabase(databaseUrl, MIGRATIONS)
  const db = openDatabase(databaseUrl, { max: 1 })
  const connection = new Connection({ url: o.rabbitUrl, connectionName: 'medtrack-bench-audit' })
  const worker = spawnEntry('workers/ops/main.ts', { DATABASE_URL: databaseUrl, RABBITMQ_URL: o.rabbitUrl, MEDTRACK_NAMESPACE: namespace, LOG_LEVEL: 'info', PORT: '0' })
  const publisher = createPublisher({ connection, catalogue, service: 'core', namespace })
  try {
    const port = JSON.parse(await worker.waitForLine(/worker started/)).port as number
    const kept = async () => ((await db.execute(sql`select count(*)::int as n from ops.audit_events`)) as unknown as { n: number }[])[0]!.n
    const batches = async () => Number((await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).match(/^medtrack_batch_size_count (\d+)/m)?.[1] ?? 0)
    const before = await batches()
    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: Math.min(o.concurrency, o.events) }, async () => {
        while (next < o.events) await publishOne(publisher, next++)
      }),
    )
    while ((await kept()) < o.events) await new Promise((r) => setTimeout(r, KEPT_POLL_MS))
    const seconds = (performance.now() - started) / 1000
    const transactions = (await batches()) - before
    return { events: o.events, kept: await kept(), events_per_s: Math.round(o.events / seconds), transactions, mean_batch: transactions > 0 ? Math.round((o.events / transactions) * 10) / 10 : 0 }
  } finally {
    await publisher.close()
    worker.proc.kill('SIGTERM')
    await worker.exited
    await db.$client.end({ timeout: 1 })
    await deleteTopology(connection, { namespace, services: ['ops'], commands: commandBindings() })
    await connection.close()
    await dropDatabase(databaseUrl)
  }
}
