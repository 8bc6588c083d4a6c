/**
 * The search of the audit trail by entity id: `rows` audited events with the
 * payloads the services publish (a student, their stage, its offer,
 * establishment and encadrant, its evaluations, grade and notifications, ids
 * nested as they come) kept as the ops worker keeps them, then `searches`
 * searches by a stage's id with the ops API's own query, each timed, and as
 * many through HTTP (`GET /ops/api/events?entity_id=`, an ops API as a real
 * child process). The query's plan must use the GIN index of the payloads' ids.
 */
import { desc } from 'drizzle-orm'
import { Connection } from 'rabbitmq-client'
import { signToken } from '../../api/kit/jwt.ts'
import { holdsEntity, searchEvents } from '../../api/ops/events/read.ts'
import { audit, type AuditedEvent } from '../../api/ops/test-audit.ts'
import { deleteTopology, dropDatabase, migrateDatabase, openDatabase, type Database } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { auditEvents } from '../../schemas/db/ops.ts'
import { spawnEntry, type Child } from '../../test/processes.ts'
import { MIGRATIONS } from '../migrate.ts'
import { percentile } from './load.ts'

export interface AuditSearchOptions {
  rabbitUrl: string
  /** PostgreSQL server URL without a database; a database of its own is created and dropped. */
  postgresServer: string
  /** Audited events kept before searching. */
  rows: number
  /** Searches timed, each way. */
  searches: number
}

export interface AuditSearchResult {
  rows: number
  searches: number
  /** Events each search found, on average: a stage's own. */
  found_per_search: number
  query_p50_ms: number
  query_p99_ms: number
  http_p50_ms: number
  http_p99_ms: number
  /** Whether PostgreSQL's plan of the search reads the GIN index of the payloads' ids. */
  uses_gin_index: boolean
}

const round = (x: number) => Number(x.toFixed(2))
const id = () => crypto.randomUUID() as string

/** The events of one student's internship, as the services publish them, one cascade each. */
function internship(at: number): AuditedEvent[] {
  const [student, user, stage, offer, establishment, encadrant, evaluation] = [id(), id(), id(), id(), id(), id(), id()]
  const correlationId = id()
  const when = (minutes: number) => new Date(at + minutes * 60_000)
  const context = { student_id: student, offer_id: offer, establishment_id: establishment, encadrant_id: encadrant }
  return [
    { type: 'student.created', producer: 'profile-service', correlationId, occurredAt: when(0), payload: { student_id: student, user_id: user, email: `s-${student.slice(0, 8)}@example.org`, first_name: 'Ada', last_name: 'Diallo' } },
    { type: 'stage.created', producer: 'core-service', correlationId, occurredAt: when(1), payload: { stage_id: stage, ...context, period: { start_date: '2027-01-04', end_date: '2027-03-26' }, offer: { id: offer, title: 'Cardiologie', establishment: { id: establishment, name: 'CHU Nord' } } } },
    { type: 'stage.accepted', producer: 'core-service', correlationId, occurredAt: when(2), payload: { stage_id: stage, ...context } },
    { type: 'notification.created', producer: 'comm-service', correlationId, occurredAt: when(3), payload: { notification_id: id(), user_id: user, type: 'stage_accepted', title: 'Your internship was accepted', related: { type: 'stage', id: stage } } },
    { type: 'stage.completed', producer: 'core-service', correlationId, occurredAt: when(4), payload: { stage_id: stage, ...context, completion_date: '2027-03-26' } },
    { type: 'evaluation.submitted', producer: 'eval-service', correlationId, occurredAt: when(5), payload: { evaluation_id: evaluation, stage_id: stage, encadrant_id: encadrant, scores: [{ criterion: 'clinical', score: 15 }, { criterion: 'attitude', score: 16.5 }] } },
    { type: 'grade.assigned', producer: 'eval-service', correlationId, occurredAt: when(6), payload: { stage_id: stage, student_id: student, final_grade: 15.75, evaluations: [evaluation] } },
    { type: 'email.sent', producer: 'comm-service', correlationId, occurredAt: when(7), payload: { email_id: id(), recipient: `s-${student.slice(0, 8)}@example.org`, subject: 'Your grade' } },
  ]
}

/** Keeps `rows` audited events, a thousand to a statement; resolves with the stage ids, one per internship. */
async function fill(db: Database, rows: number): Promise<string[]> {
  const stages: string[] = []
  const start = Date.now() - rows * 60_000
  let pending: AuditedEvent[] = []
  for (let kept = 0; kept < rows; ) {
    const events = internship(start + kept * 60_000).slice(0, rows - kept)
    stages.push(String(events[1]?.payload?.stage_id ?? ''))
    pending.push(...events)
    kept += events.length
    if (pending.length >= 1_000 || kept === rows) {
      await audit(db, pending)
      pending = []
    }
  }
  await db.$client`analyze ops.audit_events`
  return stages.filter(Boolean)
}

/** Whether the search's plan (EXPLAIN of the ops API's query for one page) reads the GIN index. */
async function usesGinIndex(db: Database, entity: string): Promise<{ uses: boolean; plan: string }> {
  const query = db.select().from(auditEvents).where(holdsEntity(entity)).orderBy(desc(auditEvents.id)).limit(20).toSQL()
  const rows = await db.$client.unsafe(`explain ${query.sql}`, query.params as never[])
  const plan = rows.map((r) => String(r['QUERY PLAN'])).join('\n')
  return { uses: plan.includes('audit_events_entity_idx'), plan }
}

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await f()
  return performance.now() - t
}

export async function benchAuditSearch(o: AuditSearchOptions): Promise<AuditSearchResult & { plan: string }> {
  const namespace = `bench-${crypto.randomUUID().slice(0, 8)}`
  const databaseUrl = `${o.postgresServer}/medtrack_${namespace.replace('-', '_')}`
  await migrateDatabase(databaseUrl, MIGRATIONS)
  const db = openDatabase(databaseUrl, { max: 2 })
  const jwtSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
  let api: Child | undefined
  try {
    const stages = await fill(db, o.rows)
    const picks = Array.from({ length: o.searches }, (_, i) => stages[Math.floor((i * stages.length) / o.searches)]!)
    const gin = await usesGinIndex(db, picks[0]!)
    // Once unmeasured, so that the first timed search is not the one that warms the pool.
    await searchEvents(db, { entity_id: picks[0] })
    const query: number[] = []
    let hits = 0
    for (const entity of picks) query.push(await timed(async () => (hits += (await searchEvents(db, { entity_id: entity })).total)))

    api = spawnEntry('api/ops/main.ts', { DATABASE_URL: databaseUrl, RABBITMQ_URL: o.rabbitUrl, MEDTRACK_NAMESPACE: namespace, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', JWT_SECRET: jwtSecret })
    const port = JSON.parse(await api.waitForLine(/"api listening"/, 20_000)).port as number
    const headers = { authorization: `Bearer ${await signToken(jwtSecret, { sub: id(), role: 'admin' })}` }
    const search = async (entity: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/ops/api/events?entity_id=${entity}`, { headers })
      if (res.status !== 200) throw new Error(`GET /ops/api/events answered ${res.status}: ${await res.text()}`)
      await res.json()
    }
    await search(picks[0]!)
    const http: number[] = []
    for (const entity of picks) http.push(await timed(() => search(entity)))
    return {
      rows: o.rows,
      searches: o.searches,
      found_per_search: round(hits / picks.length),
      query_p50_ms: round(percentile(query, 50)),
      query_p99_ms: round(percentile(query, 99)),
      http_p50_ms: round(percentile(http, 50)),
      http_p99_ms: round(percentile(http, 99)),
      uses_gin_index: gin.uses,
      plan: gin.plan,
    }
  } finally {
    if (api) {
      api.proc.kill('SIGTERM')
      await api.exited
    }
    await db.$client.end()
    const admin = new Connection(o.rabbitUrl)
    await deleteTopology(admin, { namespace, services: ['ops'], retryTiers: [], commands: commandBindings() })
    await admin.close()
    await dropDatabase(databaseUrl)
  }
}
