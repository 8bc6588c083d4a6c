/**
 * Assignments of students to offers with few places, through the gateway,
 * every process a real child process (gateway, auth API and worker, core
 * API and worker) in a namespace and a database of its own: `students` students, each
 * assigned once (POST /core/api/stages as an admin), spread evenly over
 * `offers` offers of `places` places, `concurrency` callers at once. Counts
 * what each assignment was answered (201, or 409 OFFER_FULL; anything else
 * fails the run), checks the counts against what the offers allow and
 * against the database (never more stages than places), and measures
 * commands per second and each assignment's latency.
 *
 * Core learns the establishment and the students from events, published as
 * profile would; the admin is a real account (the gateway asks auth of every
 * token), logged in through the gateway.
 */
import { sql } from 'drizzle-orm'
import { Connection } from 'rabbitmq-client'
import { BrokerConnection, createPublisher, deleteTopology, dropDatabase, migrateDatabase, openDatabase } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { spawnEntry, type Child } from '../../test/processes.ts'
import { ensureAdmin } from '../../workers/auth/admin.ts'
import { MIGRATIONS } from '../migrate.ts'
import { startCpu, type CpuReport } from './cpu.ts'
import { percentile } from './load.ts'

export interface StagesOptions {
  rabbitUrl: string
  /** PostgreSQL server URL without a database; a database of its own is created and dropped. */
  postgresServer: string
  students: number
  offers: number
  places: number
  /** Callers assigning at once. */
  concurrency: number
  /**
   * Assignments driven before the measurement, unmeasured, for this long (in
   * rounds: every student of a pool of as many again assigned to offers of
   * the same shape, new ones each round, in dates of their own), so that
   * what is measured is the processes' steady state, as `bench pipeline` does.
   */
  warmupSeconds: number
}

export interface StagesResult {
  stages_created: number
  offer_full_refusals: number
  /** What the offers allow: the stages created and refused must be exactly these. */
  expected_created: number
  expected_offer_full: number
  commands_per_s: number
  p50_ms: number
  p99_ms: number
  /** What the measured assignments cost the core worker: transactions PostgreSQL undid as deadlocks, messages retried later, batches (transactions) and their mean size. */
  worker: { deadlocks: number; retried: number; batches: number; mean_batch: number }
  cpu?: CpuReport
}

/** The core worker's counters of its /metrics that tell where assignments wait. */
async function workerCounters(metricsUrl: string) {
  const text = await (await fetch(metricsUrl)).text()
  const sum = (pattern: RegExp) => text.split('\n').reduce((n, line) => n + (pattern.test(line) ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0), 0)
  return {
    retried: sum(/^medtrack_messages_failed_total\{[^}]*queue="[^"]*\.commands"/),
    batches: sum(/^medtrack_batch_size_count\b/),
    messages: sum(/^medtrack_batch_size_sum\b/),
  }
}

const round = (x: number) => Number(x.toFixed(2))
const day = (fromToday: number) => new Date(Date.now() + fromToday * 86_400_000).toISOString().slice(0, 10)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The offer student `i` is assigned to: each offer gets every `offers`-th student, so the requests are spread evenly and interleaved. */
const offerOf = (i: number, offers: number) => i % offers

/** How many of `students` spread over `offers` offers of `places` places get one. */
export function expectedStages(students: number, offers: number, places: number): number {
  let created = 0
  for (let o = 0; o < offers; o++) created += Math.min(places, Math.floor(students / offers) + (o < students % offers ? 1 : 0))
  return created
}

async function stop(children: Child[]) {
  for (const c of children) c.proc.kill('SIGTERM')
  await Promise.all(children.map((c) => c.exited))
}

export async function benchStages(o: StagesOptions): Promise<StagesResult> {
  const namespace = `bench-${crypto.randomUUID().slice(0, 8)}`
  const databaseUrl = `${o.postgresServer}/medtrack_${namespace.replace('-', '_')}`
  const databaseName = decodeURIComponent(new URL(databaseUrl).pathname.slice(1))
  await migrateDatabase(databaseUrl, MIGRATIONS)
  // The worker's tuning (PREFETCH, BATCH_CONCURRENCY) passes through from the bench's environment.
  const tuning = Object.fromEntries(['PREFETCH', 'BATCH_CONCURRENCY'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])))
  const jwtSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
  // A command answered later than COMMAND_WAIT_MS would be a 202 with no verdict: the bench waits for every one.
  const env = { ...tuning, DATABASE_URL: databaseUrl, RABBITMQ_URL: o.rabbitUrl, MEDTRACK_NAMESPACE: namespace, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', JWT_SECRET: jwtSecret, COMMAND_WAIT_MS: '60000' }
  const children: Child[] = []
  const db = openDatabase(databaseUrl, { max: 1 })
  const connection = new BrokerConnection({ url: o.rabbitUrl, connectionName: 'medtrack-bench-stages' })
  const profile = createPublisher({ connection, catalogue, service: 'profile', namespace })
  try {
    const listening = async (child: Child) => JSON.parse(await child.waitForLine(/"api listening"/, 20_000)).port as number
    const authApi = spawnEntry('api/auth/main.ts', env)
    // A login opens a session: a command of the auth worker's.
    const authWorker = spawnEntry('workers/auth/main.ts', env)
    const coreApi = spawnEntry('api/core/main.ts', env)
    const coreWorker = spawnEntry('workers/core/main.ts', env)
    children.push(authApi, authWorker, coreApi, coreWorker)
    const [authPort, corePort, workerStarted] = await Promise.all([
      listening(authApi),
      listening(coreApi),
      coreWorker.waitForLine(/"worker started"/, 20_000),
      authWorker.waitForLine(/"worker started"/, 20_000),
    ])
    const metricsUrl = `http://127.0.0.1:${JSON.parse(workerStarted).port}/metrics`
    const gateway = spawnEntry('api/gateway/main.ts', { ...env, AUTH_API_URL: `http://127.0.0.1:${authPort}`, CORE_API_URL: `http://127.0.0.1:${corePort}` })
    children.unshift(gateway)
    const base = `http://127.0.0.1:${await listening(gateway)}`

    const post = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      })
      return { status: res.status, body: (await res.json().catch(() => undefined)) as any }
    }
    const email = `admin-${namespace}@bench.example.org`
    await ensureAdmin(db, email, 'bench admin password')
    const login = await post('/auth/api/login', { email, password: 'bench admin password' })
    if (login.status !== 200) throw new Error(`login through the gateway answered ${login.status}: ${JSON.stringify(login.body)}`)
    const token = login.body.access_token as string

    // What core must know first, as profile tells it: one establishment, the students (those measured and the warm-up pool).
    const establishmentId = crypto.randomUUID()
    await profile.publish('establishment.created', { establishment_id: establishmentId, name: 'Hôpital du banc d’essai', city: 'Rabat' })
    const pool = o.warmupSeconds > 0 ? o.students : 0
    const studentIds = Array.from({ length: o.students + pool }, () => crypto.randomUUID())
    for (let from = 0; from < studentIds.length; from += 500) {
      await Promise.all(
        studentIds.slice(from, from + 500).map((id) => profile.publish('student.created', { student_id: id, user_id: crypto.randomUUID(), email: `student-${id}@bench.example.org` })),
      )
    }
    const count = async (query: ReturnType<typeof sql>) => ((await db.execute(query)) as unknown as { n: number }[])[0]!.n
    for (const deadline = Date.now() + 120_000; ; await sleep(100)) {
      const known = await count(sql`select (select count(*) from core.student_directory)::int + (select count(*) from core.establishments)::int as n`)
      if (known === studentIds.length + 1) break
      if (Date.now() > deadline) throw new Error(`core knows ${known} of the ${studentIds.length} students and the establishment after 120 s`)
    }

    /** `o.offers` new offers of `o.places` places, through the gateway, in the dates of `round`. */
    const makeOffers = (round: number) =>
      Promise.all(
        Array.from({ length: o.offers }, async (_, n) => {
          const start = 30 + round * 7
          const res = await post('/core/api/offers', { establishment_id: establishmentId, title: `Offre ${round}.${n}`, start_date: day(start), end_date: day(start + 3), capacity: o.places }, token)
          if (res.status !== 201) throw new Error(`POST /core/api/offers answered ${res.status}: ${JSON.stringify(res.body)}`)
          return res.body.id as string
        }),
      )

    /** Assigns each of `students` to its offer, `o.concurrency` at once; every answer a 201 or an OFFER_FULL. */
    const assign = async (students: string[], offerIds: string[]) => {
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` }
      const latencies: number[] = []
      let created = 0
      let full = 0
      let next = 0
      await Promise.all(
        Array.from({ length: Math.min(o.concurrency, students.length) }, async () => {
          while (next < students.length) {
            const i = next++
            const t = performance.now()
            const res = await fetch(`${base}/core/api/stages`, { method: 'POST', headers, body: JSON.stringify({ student_id: students[i], offer_id: offerIds[offerOf(i, offerIds.length)] }) })
            const text = await res.text()
            latencies.push(performance.now() - t)
            if (res.status === 201) created++
            else if (res.status === 409 && JSON.parse(text).error === 'OFFER_FULL') full++
            else throw new Error(`POST /core/api/stages answered ${res.status}: ${text}`)
          }
        }),
      )
      return { created, full, latencies }
    }

    if (pool > 0) {
      const warmStudents = studentIds.slice(o.students)
      const until = performance.now() + o.warmupSeconds * 1000
      for (let r = 1; r === 1 || performance.now() < until; r++) await assign(warmStudents, await makeOffers(r))
    }

    const offerIds = await makeOffers(0)
    const measured = studentIds.slice(0, o.students)
    const deadlocks = async () => count(sql`select deadlocks::int as n from pg_stat_database where datname = ${databaseName}`)
    const before = { deadlocks: await deadlocks(), ...(await workerCounters(metricsUrl)) }
    const cpuCount = startCpu({ gateway: gateway.proc.pid, 'auth api': authApi.proc.pid, 'core api': coreApi.proc.pid, 'core worker': coreWorker.proc.pid }, databaseName)
    const started = performance.now()
    const { created, full, latencies } = await assign(measured, offerIds)
    const seconds = (performance.now() - started) / 1000
    const cpu = cpuCount?.(o.students)
    // A session's statistics reach pg_stat_database within a second of it going idle.
    await sleep(1_500)
    const after = { deadlocks: await deadlocks(), ...(await workerCounters(metricsUrl)) }
    const batches = after.batches - before.batches

    // What the offers allow, and what the database holds: the same, or the bench fails.
    const expected = expectedStages(o.students, o.offers, o.places)
    const rows = (await db.execute(
      sql`select o.places_taken as taken, o.capacity, (select count(*)::int from core.stages s where s.offer_id = o.id) as stages from core.offers o where o.id = any(${sql.param(offerIds)}::uuid[])`,
    )) as unknown as { taken: number; capacity: number; stages: number }[]
    const stored = rows.reduce((sum, r) => sum + r.stages, 0)
    const overBooked = rows.filter((r) => r.stages > r.capacity || r.taken !== r.stages)
    if (created !== expected || full !== o.students - expected || stored !== created || overBooked.length > 0) {
      throw new Error(
        `assignments: ${created} created and ${full} OFFER_FULL, expected ${expected} and ${o.students - expected}; the database holds ${stored} stages for the offers${overBooked.length ? `, and offers whose places disagree: ${JSON.stringify(overBooked)}` : ''}`,
      )
    }
    return {
      stages_created: created,
      offer_full_refusals: full,
      expected_created: expected,
      expected_offer_full: o.students - expected,
      commands_per_s: Math.round(o.students / seconds),
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      worker: { deadlocks: after.deadlocks - before.deadlocks, retried: after.retried - before.retried, batches, mean_batch: batches > 0 ? round((after.messages - before.messages) / batches) : 0 },
      ...(cpu ? { cpu } : {}),
    }
  } finally {
    await stop(children)
    await profile.close()
    await db.$client.end()
    await connection.close()
    const admin = new Connection(o.rabbitUrl)
    await deleteTopology(admin, { namespace, services: ['auth', 'core'], commands: commandBindings() })
    await admin.close()
    await dropDatabase(databaseUrl)
  }
}
