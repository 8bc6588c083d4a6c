/**
 * The same write path as `bench pipeline`, written bare: no kit, no envelope,
 * no validation, no JWT, no Elysia; rabbitmq-client and postgres.js only. It
 * tells what this machine allows for that work, so the pipeline's figure can
 * be read against it:
 *
 * - `durable`: quorum queues, persistent messages, publisher confirms, and in
 *   PostgreSQL (fsync on) the same writes batched as the kit batches them: the
 *   worker's inbox, row and outbox (marked sent after the confirm), the second
 *   worker's inbox and row;
 * - `volatile`: what the first services did: classic queues, transient
 *   messages, no confirms, no database. The queues themselves are durable:
 *   RabbitMQ 4.3 refuses a queue that is neither durable nor exclusive, and
 *   each role declares them from its own connection.
 *
 * Each role (api, worker, sink) runs as its own child process, as the kit's do,
 * on core's BrokerConnection like them (writes coalesced per turn), so that
 * what differs is the work, not the socket.
 */
import { Connection, type AsyncMessage } from 'rabbitmq-client'
import postgres from 'postgres'
import { spawnEntry, type Child } from '../../test/processes.ts'
import { BrokerConnection } from '../../core/index.ts'
import { startCpu, type CpuReport } from './cpu.ts'
import { drive, warmUp } from './load.ts'

export type BareMode = 'durable' | 'volatile'

interface Item {
  /** The message id, for the inbox. */
  id: string
  /** What the row holds: the student's email (worker), the student's id (sink). */
  value: string
  settle(outboxId?: number): void
}

/** Applies what arrives together in one transaction, two at a time at most, like the kit's batcher. */
function batcher(apply: (items: Item[]) => Promise<void>, maxSize = 200) {
  let queue: Item[] = []
  let running = 0
  let scheduled = false
  const pump = () => {
    scheduled = false
    while (running < 2 && queue.length > 0) {
      const batch = queue.slice(0, maxSize)
      queue = queue.slice(batch.length)
      running++
      apply(batch).finally(() => {
        running--
        if (queue.length > 0 && !scheduled) (scheduled = true), setImmediate(pump)
      })
    }
  }
  return (item: Item) => {
    queue.push(item)
    if (!scheduled) (scheduled = true), setImmediate(pump)
  }
}

const json = (m: AsyncMessage) => (Buffer.isBuffer(m.body) ? JSON.parse(m.body.toString('utf8')) : m.body) as Record<string, unknown>

/** One role, in this process, until SIGTERM. */
async function runRole(role: string, mode: BareMode, namespace: string, rabbitUrl: string, databaseUrl: string) {
  const durable = mode === 'durable'
  const connection = new BrokerConnection({ url: rabbitUrl, connectionName: `bench-bare-${role}` })
  const commands = `${namespace}.bare.commands`
  const events = `${namespace}.bare.events`
  const exchange = `${namespace}.bare.exchange`
  const queueOptions = { durable: true, arguments: { 'x-queue-type': durable ? ('quorum' as const) : ('classic' as const) } }
  await connection.exchangeDeclare({ exchange, type: 'topic', durable })
  await connection.queueDeclare({ queue: commands, ...queueOptions })
  await connection.queueDeclare({ queue: events, ...queueOptions })
  await connection.queueBind({ queue: events, exchange, routingKey: 'student.*' })
  const sql = durable ? postgres(databaseUrl, { max: 3, onnotice: () => {} }) : undefined
  const closers: (() => Promise<unknown>)[] = []

  if (role === 'api') {
    const rpc = connection.createRPCClient({ confirm: durable, timeout: 10_000 })
    const send = (payload: unknown) => rpc.send({ routingKey: commands, durable, messageId: crypto.randomUUID() }, { payload })
    // The client sets its channel up on its first send and lets others publish before that is done
    // (the broker then closes the channel: no reply consumer yet), so the first send goes alone.
    let first: Promise<unknown> | undefined
    const server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        const payload = await req.json()
        let reply
        if (!first) reply = (await (first = send(payload))) as Awaited<ReturnType<typeof send>>
        else {
          await first.catch(() => {})
          reply = await send(payload)
        }
        return Response.json(reply.body, { status: 201 })
      },
    })
    closers.push(async () => server.stop(), () => rpc.close())
    console.log(JSON.stringify({ msg: 'bare api listening', port: server.port }))
  } else if (role === 'worker') {
    const publisher = connection.createPublisher({ confirm: durable })
    let sent: number[] = []
    const submit = batcher(async (items) => {
      const outboxIds = await sql!.begin(async (tx) => {
        await tx`insert into bare_bench.inbox (id) select unnest(${items.map((i) => i.id)}::text[]) on conflict do nothing`
        await tx`insert into bare_bench.students (id, email) select * from unnest(${items.map(() => crypto.randomUUID())}::uuid[], ${items.map((i) => i.value)}::text[])`
        return tx`insert into bare_bench.outbox (envelope) select unnest(${items.map((i) => JSON.stringify({ event_id: i.id }))}::jsonb[]) returning id`
      })
      items.forEach((item, n) => item.settle(Number(outboxIds[n]!.id)))
    })
    const marking = durable ? setInterval(() => void (sent.length && sql!`update bare_bench.outbox set sent_at = now() where id = any(${sent.splice(0)}::bigint[])`.catch(() => {})), 100) : undefined
    const consumer = connection.createConsumer({ queue: commands, queueOptions, qos: { prefetchCount: 200 }, concurrency: 200 }, async (msg, reply) => {
      const { payload } = json(msg) as { payload: { email: string } }
      const outboxId = durable ? await new Promise<number | undefined>((settle) => submit({ id: msg.messageId ?? crypto.randomUUID(), value: payload.email, settle })) : undefined
      const student = { id: crypto.randomUUID(), email: payload.email }
      await reply(student)
      const id = crypto.randomUUID()
      await publisher.send({ exchange, routingKey: 'student.created', durable, messageId: id }, { event_id: id, event_type: 'student.created', payload: { student_id: student.id, email: student.email } })
      if (outboxId !== undefined) sent.push(outboxId)
    })
    closers.push(() => consumer.close(), () => publisher.close(), async () => clearInterval(marking))
  } else {
    let applied = 0
    const submit = batcher(async (items) => {
      await sql!.begin(async (tx) => {
        await tx`insert into bare_bench.sink_inbox (id) select unnest(${items.map((i) => i.id)}::text[]) on conflict do nothing`
        await tx`insert into bare_bench.sink (student_id) select unnest(${items.map((i) => i.value)}::uuid[])`
      })
      for (const item of items) item.settle()
    })
    const consumer = connection.createConsumer({ queue: events, queueOptions, qos: { prefetchCount: 200 }, concurrency: 200 }, async (msg) => {
      const { payload } = json(msg) as { payload: { student_id: string } }
      if (durable) await new Promise<void>((settle) => submit({ id: msg.messageId ?? crypto.randomUUID(), value: payload.student_id, settle: () => settle() }))
      applied++
    })
    const counting = setInterval(() => console.log(JSON.stringify({ msg: 'bare applied', applied })), 20)
    closers.push(() => consumer.close(), async () => clearInterval(counting))
  }
  console.log(JSON.stringify({ msg: 'bare ready', role }))
  await new Promise((resolve) => process.once('SIGTERM', resolve))
  for (const close of closers) await close().catch(() => {})
  await sql?.end({ timeout: 5 })
  await connection.close()
}

export interface BareOptions {
  mode: BareMode
  rabbitUrl: string
  /** A database the bench made; the bare tables live in schema `bare_bench`, dropped after. */
  databaseUrl: string
  namespace: string
  requests: number
  concurrency: number
  /** Load driven before the measurement, unmeasured, as for the pipeline. */
  warmupSeconds: number
}

/** Events per second end to end through the bare path, and where its CPU went. */
export async function benchBare(o: BareOptions): Promise<{ events_per_s: number; cpu: CpuReport | undefined }> {
  const sql = postgres(o.databaseUrl, { max: 1, onnotice: () => {} })
  await sql.unsafe(`
    create schema if not exists bare_bench;
    create table bare_bench.inbox (id text primary key, received_at timestamptz not null default now());
    create table bare_bench.students (id uuid primary key, email text not null);
    create table bare_bench.outbox (id bigint generated always as identity primary key, envelope jsonb not null, created_at timestamptz not null default now(), sent_at timestamptz);
    create table bare_bench.sink_inbox (id text primary key, received_at timestamptz not null default now());
    create table bare_bench.sink (student_id uuid primary key);`)
  const env = { BARE_MODE: o.mode, BARE_NAMESPACE: o.namespace, RABBITMQ_URL: o.rabbitUrl, DATABASE_URL: o.databaseUrl }
  const children: Child[] = ['sink', 'worker', 'api'].map((role) => spawnEntry('scripts/bench/bare.ts', { ...env, BARE_ROLE: role }))
  try {
    await Promise.all(children.map((c) => c.waitForLine(/bare ready/)))
    const port = JSON.parse(await children[2]!.waitForLine(/bare api listening/)).port as number
    const sink = children[0]!
    const applied = () => {
      const last = sink.lines.findLast((l) => l.includes('bare applied'))
      return last ? (JSON.parse(last).applied as number) : 0
    }
    const run = (count: number, from: number) => drive({ url: `http://127.0.0.1:${port}/`, count, concurrency: o.concurrency, body: (n) => ({ email: `student${from + n}@bench.example.org` }) })
    const warm = await warmUp(o.warmupSeconds, run)
    while (applied() < warm) await Bun.sleep(20)
    const [, worker, api] = children
    const cpuCount = startCpu({ api: api!.proc.pid, worker: worker!.proc.pid, 'second worker': sink.proc.pid }, decodeURIComponent(new URL(o.databaseUrl).pathname.slice(1)))
    const started = performance.now()
    await run(o.requests, warm)
    while (applied() < warm + o.requests) await Bun.sleep(5)
    return { events_per_s: Math.round(o.requests / ((performance.now() - started) / 1000)), cpu: cpuCount?.(o.requests) }
  } finally {
    for (const c of children) c.proc.kill('SIGTERM')
    await Promise.all(children.map((c) => c.exited))
    await sql.unsafe('drop schema bare_bench cascade')
    await sql.end()
    const connection = new Connection(o.rabbitUrl)
    for (const queue of [`${o.namespace}.bare.commands`, `${o.namespace}.bare.events`]) await connection.queueDelete({ queue })
    await connection.exchangeDelete({ exchange: `${o.namespace}.bare.exchange` })
    await connection.close()
  }
}

if (import.meta.main) {
  const env = process.env
  await runRole(env.BARE_ROLE!, env.BARE_MODE as BareMode, env.BARE_NAMESPACE!, env.RABBITMQ_URL!, env.DATABASE_URL!)
}
