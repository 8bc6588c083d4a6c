/**
 * The whole write path, end to end, with every process a real child process:
 * HTTP POST → profile API → command → profile worker (inbox, a student row,
 * outbox) → `student.created` → a second worker (inbox, one row). Measures
 * events per second end to end, and the command round trip (HTTP POST → reply)
 * beside a bare RabbitMQ direct reply-to round trip through a quorum queue,
 * measured alike: one at a time, which of the two drawn at random each time,
 * each once the previous command's event has been applied by the second
 * worker and the machine left alone 2 ms. Also back to back, as before: a
 * block of commands one after another (each while the previous one's event is
 * on its way), then a block of bare ones (the ratio carries any drift between
 * the two blocks).
 */
import { sql } from 'drizzle-orm'
import { Connection } from 'rabbitmq-client'
import { signToken } from '../../api/kit/jwt.ts'
import { deleteTopology, dropDatabase, migrateDatabase, openDatabase } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { MIGRATIONS } from '../migrate.ts'
import { spawnEntry, type Child } from '../../test/processes.ts'
import { benchBare } from './bare.ts'
import { startCpu, type CpuReport } from './cpu.ts'
import { drive, percentile, warmUp } from './load.ts'

export interface PipelineOptions {
  rabbitUrl: string
  /** PostgreSQL server URL without a database; a database of its own is created and dropped. */
  postgresServer: string
  requests: number
  concurrency: number
  rttSamples: number
  /** Load driven before each throughput measurement, unmeasured (scripts/bench/load.ts `warmUp`). */
  warmupSeconds: number
  /** Also measure the bare path (durable and volatile) in the same run. */
  bare?: boolean
}

const round = (x: number) => Number(x.toFixed(2))

/**
 * How often the bench counts the second worker's rows while it waits for the
 * last events: a count reads the whole table (tens of thousands of rows, a few
 * ms of PostgreSQL's CPU), so counting more often would slow what it waits for.
 */
const APPLIED_POLL_MS = 50

/** How long the machine is left alone before each settled round trip. */
const SETTLE_MS = 2

/**
 * A bare RabbitMQ direct reply-to round trip through a quorum queue, in this
 * process: `once()` times one; `close()` removes the queue.
 */
async function rawRpc(url: string, namespace: string) {
  const connection = new Connection({ url, connectionName: 'medtrack-bench-rpc' })
  const queue = `${namespace}.raw.rpc`
  const server = connection.createConsumer(
    { queue, queueOptions: { durable: true, arguments: { 'x-queue-type': 'quorum' } }, qos: { prefetchCount: 16 } },
    async (msg, reply) => void (await reply({ ok: true, echo: msg.body })),
  )
  await new Promise((r) => server.once('ready', r))
  const client = connection.createRPCClient({ confirm: true, timeout: 5_000 })
  return {
    async once() {
      const started = performance.now()
      await client.send({ routingKey: queue, durable: true }, { command_id: crypto.randomUUID(), payload: {} })
      return performance.now() - started
    },
    async close() {
      await client.close()
      await server.close()
      await connection.queueDelete({ queue })
      await connection.close()
    },
  }
}

async function stop(children: Child[]) {
  for (const c of children) c.proc.kill('SIGTERM')
  await Promise.all(children.map((c) => c.exited))
}

export async function benchPipeline(o: PipelineOptions) {
  const namespace = `bench-${crypto.randomUUID().slice(0, 8)}`
  const databaseUrl = `${o.postgresServer}/medtrack_${namespace.replace('-', '_')}`
  await migrateDatabase(databaseUrl, MIGRATIONS)
  // The workers' tuning (PREFETCH, BATCH_CONCURRENCY) passes through from the bench's environment.
  const tuning = Object.fromEntries(['PREFETCH', 'BATCH_CONCURRENCY'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])))
  // A secret of this run alone: the bench signs its own token with it.
  const jwtSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
  const env = { ...tuning, DATABASE_URL: databaseUrl, RABBITMQ_URL: o.rabbitUrl, MEDTRACK_NAMESPACE: namespace, LOG_LEVEL: 'warn', PORT: '0', JWT_SECRET: jwtSecret }
  const children: Child[] = []
  const db = openDatabase(databaseUrl, { max: 1 })
  try {
    const api = spawnEntry('api/profile/main.ts', { ...env, LOG_LEVEL: 'info' })
    children.push(api, spawnEntry('workers/profile/main.ts', { ...env, LOG_LEVEL: 'info' }), spawnEntry('scripts/bench/sink-worker.ts', { ...env, LOG_LEVEL: 'info' }))
    const port = JSON.parse(await api.waitForLine(/api listening/)).port as number
    await Promise.all(children.slice(1).map((c) => c.waitForLine(/worker started/)))

    const token = await signToken(jwtSecret, { sub: crypto.randomUUID(), role: 'admin' }, 3_600)
    const headers = { authorization: `Bearer ${token}` }
    let sent = 0
    const run = (count: number, concurrency: number) =>
      drive({ url: `http://127.0.0.1:${port}/profile/api/students`, count, concurrency, headers, body: () => ({ email: `student${sent++}@bench.example.org`, first_name: 'Ana' }) })
    const applied = async () => ((await db.execute(sql`select count(*)::int as n from eval.bench_sink`)) as unknown as { n: number }[])[0]!.n

    const warm = await warmUp(o.warmupSeconds, (count) => run(count, o.concurrency))
    while ((await applied()) < warm) await new Promise((r) => setTimeout(r, APPLIED_POLL_MS))

    const [, worker, sink] = children
    const cpuCount = startCpu({ api: api.proc.pid, worker: worker!.proc.pid, 'second worker': sink!.proc.pid }, decodeURIComponent(new URL(databaseUrl).pathname.slice(1)))
    const started = performance.now()
    await run(o.requests, o.concurrency)
    while ((await applied()) < warm + o.requests) await new Promise((r) => setTimeout(r, APPLIED_POLL_MS))
    const pipeline_events_per_s = Math.round(o.requests / ((performance.now() - started) / 1000))
    const cpu: Record<string, CpuReport | undefined> = { pipeline: cpuCount?.(o.requests) }

    const raw = await rawRpc(o.rabbitUrl, namespace)
    const reached = async (studentId: string) =>
      ((await db.execute(sql`select exists (select 1 from eval.bench_sink where student_id = ${studentId}) as yes`)) as unknown as { yes: boolean }[])[0]!.yes
    let outstanding: string | undefined
    /** One command's round trip, HTTP POST → 201. */
    const command = async () => {
      const t = performance.now()
      const res = await fetch(`http://127.0.0.1:${port}/profile/api/students`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ email: `student${sent++}@bench.example.org`, first_name: 'Ana' }),
      })
      const student = (await res.json()) as { id: string }
      const ms = performance.now() - t
      if (res.status !== 201) throw new Error(`POST /profile/api/students answered ${res.status}: ${JSON.stringify(student)}`)
      outstanding = student.id
      return ms
    }
    /** The previous command's event applied by the second worker, then the machine left alone a moment. */
    const settle = async () => {
      while (outstanding && !(await reached(outstanding))) await new Promise((r) => setTimeout(r, 1))
      outstanding = undefined
      await new Promise((r) => setTimeout(r, SETTLE_MS))
    }
    const settled = { rtts: [] as number[], raws: [] as number[] }
    const backToBack = { rtts: [] as number[], raws: [] as number[] }
    try {
      // Settled (the figures the target is about): each round trip after `settle`, a command or a bare
      // one drawn at random each time, so that either follows a command as often: both meet the machine alike.
      const wanted = o.rttSamples + 20
      const taken = { command: 0, raw: 0 }
      while (taken.command < wanted || taken.raw < wanted) {
        const kind = taken.raw >= wanted || (taken.command < wanted && Math.random() < 0.5) ? 'command' : 'raw'
        await settle()
        const ms = kind === 'command' ? await command() : await raw.once()
        if (taken[kind]++ >= 20) settled[kind === 'command' ? 'rtts' : 'raws'].push(ms)
      }
      await settle()
      // Back to back, as a client in a hurry: each command while the previous one's event is still on its
      // way; then as many bare round trips.
      for (let i = 0; i < o.rttSamples + 20; i++) {
        const ms = await command()
        if (i >= 20) backToBack.rtts.push(ms)
      }
      await settle()
      for (let i = 0; i < o.rttSamples + 20; i++) {
        const ms = await raw.once()
        if (i >= 20) backToBack.raws.push(ms)
      }
    } finally {
      await raw.close()
    }
    const result = {
      pipeline_events_per_s,
      rtt_p50_ms: round(percentile(settled.rtts, 50)),
      rtt_p99_ms: round(percentile(settled.rtts, 99)),
      raw_rpc_p50_ms: round(percentile(settled.raws, 50)),
      raw_rpc_p99_ms: round(percentile(settled.raws, 99)),
      back_to_back: {
        rtt_p50_ms: round(percentile(backToBack.rtts, 50)),
        rtt_p99_ms: round(percentile(backToBack.rtts, 99)),
        raw_rpc_p50_ms: round(percentile(backToBack.raws, 50)),
        raw_rpc_p99_ms: round(percentile(backToBack.raws, 99)),
      },
    }
    if (!o.bare) return { ...result, cpu }
    await stop(children.splice(0))
    const bare = { rabbitUrl: o.rabbitUrl, databaseUrl, namespace, requests: o.requests, concurrency: o.concurrency, warmupSeconds: o.warmupSeconds }
    const durable = await benchBare({ ...bare, mode: 'durable' })
    const volatile = await benchBare({ ...bare, mode: 'volatile' })
    return {
      ...result,
      bare_durable_events_per_s: durable.events_per_s,
      bare_volatile_events_per_s: volatile.events_per_s,
      cpu: { ...cpu, bare_durable: durable.cpu, bare_volatile: volatile.cpu },
    }
  } finally {
    await stop(children)
    await db.$client.end()
    const connection = new Connection(o.rabbitUrl)
    await deleteTopology(connection, { namespace, services: ['profile', 'eval'], commands: commandBindings() })
    await connection.close()
    await dropDatabase(databaseUrl)
  }
}
