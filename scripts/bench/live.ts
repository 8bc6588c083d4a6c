/**
 * Live notifications at scale, through the gateway, every process a real
 * child process (gateway, auth API and worker — the gateway asks auth of
 * every token —, comm API and worker) in a namespace and a database of its
 * own: `users` students (made by publishing student.created through the
 * gateway with an API key), one stream each through the gateway, then
 * `notifications` notifications spread evenly over them, made by the real
 * cascade: an admin's messages to them, each a command of the comm API
 * whose worker stores the message and its receiver's notification
 * (`createNotifications`). Counts what each stream received
 * (every notification once, or the run fails), the latency from the
 * notification's event (its envelope's timestamp, taken in the worker's
 * transaction just before it commits) to the stream's receipt, and the RSS
 * each open stream costs the comm API and the gateway.
 */
import { connect as tcp, type Socket } from 'node:net'
import { sql } from 'drizzle-orm'
import { Connection } from 'rabbitmq-client'
import { signToken } from '../../api/kit/jwt.ts'
import { deleteTopology, dropDatabase, migrateDatabase, openDatabase } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { tapEvents } from '../../test/broker.ts'
import { spawnEntry, type Child } from '../../test/processes.ts'
import { startSmtpSink } from '../../test/smtp.ts'
import { MIGRATIONS } from '../migrate.ts'
import { percentile } from './load.ts'

export interface LiveOptions {
  rabbitUrl: string
  /** PostgreSQL server URL without a database; a database of its own is created and dropped. */
  postgresServer: string
  /** Students, one stream each. */
  users: number
  notifications: number
  /** Requests (events published, messages sent) through the gateway at once. */
  concurrency: number
}

export interface LiveResult {
  streams: number
  notifications: number
  delivered: number
  duplicates: number
  /** From the notification's event (its timestamp) to the stream's receipt. */
  p50_ms: number
  p99_ms: number
  max_ms: number
  /** RSS after opening the streams less before, per stream, in KiB. */
  comm_api_kib_per_stream: number
  gateway_kib_per_stream: number
}

const round = (x: number) => Number(x.toFixed(2))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A process's resident set, in KiB, from /proc/<pid>/status. */
async function rssKib(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text()
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1])
}

/**
 * One stream read off a socket of its own (a fetch each would be held to
 * Bun's 256 requests at once): the HTTP/1.1 answer, its chunks, its events;
 * `onNotification` gets each notification's id at its receipt.
 */
function openStream(port: number, token: string, onNotification: (id: string, at: number) => void, onPosition: () => void): Socket {
  const socket = tcp({ host: '127.0.0.1', port })
  socket.setEncoding('latin1')
  socket.write(`GET /comm/api/notifications/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${token}\r\n\r\n`)
  let raw = ''
  let head = true
  let body = ''
  socket.on('data', (chunk: string) => {
    const at = Date.now()
    raw += chunk
    if (head) {
      const end = raw.indexOf('\r\n\r\n')
      if (end < 0) return
      const status = raw.slice(0, raw.indexOf('\r\n'))
      if (!/ 200 /.test(status)) throw new Error(`a stream answered ${status}`)
      raw = raw.slice(end + 4)
      head = false
    }
    // Chunked transfer: <hex size>\r\n<bytes>\r\n, as many as have arrived whole.
    for (;;) {
      const line = raw.indexOf('\r\n')
      if (line < 0) break
      const size = parseInt(raw.slice(0, line), 16)
      if (raw.length < line + 2 + size + 2) break
      body += raw.slice(line + 2, line + 2 + size)
      raw = raw.slice(line + 2 + size + 2)
    }
    let end: number
    while ((end = body.indexOf('\n\n')) >= 0) {
      const block = body.slice(0, end)
      body = body.slice(end + 2)
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (data) onNotification((JSON.parse(data) as { id: string }).id, at)
      else if (/^id: /m.test(block)) onPosition()
    }
  })
  return socket
}

async function stop(children: Child[]) {
  for (const c of children) c.proc.kill('SIGTERM')
  await Promise.all(children.map((c) => c.exited))
}

export async function benchLive(o: LiveOptions): Promise<LiveResult> {
  const namespace = `bench-${crypto.randomUUID().slice(0, 8)}`
  const databaseUrl = `${o.postgresServer}/medtrack_${namespace.replace('-', '_')}`
  await migrateDatabase(databaseUrl, MIGRATIONS)
  await createAdmin(databaseUrl)
  const jwtSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
  const smtp = await startSmtpSink()
  const env = { DATABASE_URL: databaseUrl, RABBITMQ_URL: o.rabbitUrl, MEDTRACK_NAMESPACE: namespace, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', JWT_SECRET: jwtSecret, SMTP_URL: smtp.url }
  const children: Child[] = []
  const db = openDatabase(databaseUrl, { max: 1 })
  const broker = new Connection({ url: o.rabbitUrl, connectionName: 'medtrack-bench-live' })
  const sockets: Socket[] = []
  try {
    const listening = async (child: Child) => JSON.parse(await child.waitForLine(/"api listening"/, 20_000)).port as number
    const authApi = spawnEntry('api/auth/main.ts', env)
    const authWorker = spawnEntry('workers/auth/main.ts', env)
    const commApi = spawnEntry('api/comm/main.ts', env)
    const commWorker = spawnEntry('workers/comm/main.ts', env)
    children.push(authApi, authWorker, commApi, commWorker)
    const [authPort, commPort] = await Promise.all([listening(authApi), listening(commApi), authWorker.waitForLine(/"worker started"/, 20_000), commWorker.waitForLine(/"worker started"/, 20_000)])
    // The gateway fetches each stream from the comm API: Bun holds a process to 256 fetches at once unless told.
    const gateway = spawnEntry('api/gateway/main.ts', { ...env, BUN_CONFIG_MAX_HTTP_REQUESTS: String(Math.max(256, o.users * 2)), AUTH_API_URL: `http://127.0.0.1:${authPort}`, COMM_API_URL: `http://127.0.0.1:${commPort}` })
    children.unshift(gateway)
    const gatewayPort = await listening(gateway)
    const base = `http://127.0.0.1:${gatewayPort}`
    const key = await createKey(databaseUrl)

    /** Publishes `bodies` through the gateway's POST /events/publish, `o.concurrency` at once; every answer must be 202. */
    const publish = async (bodies: { event_type: string; payload: Record<string, unknown> }[]) => {
      let next = 0
      await Promise.all(
        Array.from({ length: Math.min(o.concurrency, bodies.length) }, async () => {
          while (next < bodies.length) {
            const res = await fetch(`${base}/events/publish`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
              body: JSON.stringify({ ...bodies[next++], service_name: 'bench' }),
            })
            if (res.status !== 202) throw new Error(`POST /events/publish answered ${res.status}: ${await res.text()}`)
            await res.arrayBuffer()
          }
        }),
      )
    }
    const count = async (query: ReturnType<typeof sql>) => ((await db.execute(query)) as unknown as { n: number }[])[0]!.n
    const until = async (what: string, query: ReturnType<typeof sql>, n: number, timeoutMs = 180_000) => {
      for (const deadline = Date.now() + timeoutMs; ; await sleep(200)) {
        const got = await count(query)
        if (got >= n) return
        if (Date.now() > deadline) throw new Error(`${what}: ${got} of ${n} after ${timeoutMs / 1000} s`)
      }
    }

    // The students, each with an account (auth makes it: the gateway asks auth of every token) and comm's welcome.
    const students = Array.from({ length: o.users }, () => ({ studentId: crypto.randomUUID(), userId: crypto.randomUUID() }))
    await publish(students.map((s) => ({ event_type: 'student.created', payload: { student_id: s.studentId, user_id: s.userId, email: `live-${s.studentId}@bench.example.org` } })))
    await until('accounts', sql`select count(*)::int as n from auth.users where role = 'student'`, o.users)
    await until('welcomes', sql`select count(*)::int as n from comm.notifications where type = 'welcome'`, o.users)
    // The admin who writes to them, signed in as a frontend would; comm must know every account's role.
    await until("comm's accounts", sql`select count(*)::int as n from comm.token_versions where role in ('student', 'admin')`, o.users + 1)
    const signedIn = await fetch(`${base}/auth/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })
    if (signedIn.status !== 200) throw new Error(`POST /auth/api/login answered ${signedIn.status}: ${await signedIn.text()}`)
    const adminToken = ((await signedIn.json()) as { access_token: string }).access_token
    /** Sends each message through the gateway's POST /comm/api/messages as the admin, `o.concurrency` at once; every answer must be 201 or 202. */
    const sendMessages = async (messages: { receiver_id: string; subject: string; body: string }[]) => {
      let next = 0
      await Promise.all(
        Array.from({ length: Math.min(o.concurrency, messages.length) }, async () => {
          while (next < messages.length) {
            const res = await fetch(`${base}/comm/api/messages`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
              body: JSON.stringify(messages[next++]),
            })
            if (res.status !== 201 && res.status !== 202) throw new Error(`POST /comm/api/messages answered ${res.status}: ${await res.text()}`)
            await res.arrayBuffer()
          }
        }),
      )
    }

    const received = new Map<string, number[]>()
    let positioned = 0
    const rssBefore = { comm: await rssKib(commApi.proc.pid), gateway: await rssKib(gateway.proc.pid) }
    for (const s of students) {
      const token = await signToken(jwtSecret, { sub: s.userId, role: 'student' }, 3_600)
      sockets.push(
        openStream(gatewayPort, token, (id, at) => received.set(id, [...(received.get(id) ?? []), at]), () => positioned++),
      )
      // A few at a time, as clients arrive, not 1,000 in one instant.
      if (sockets.length % 100 === 0) await sleep(50)
    }
    for (const deadline = Date.now() + 60_000; positioned < o.users; await sleep(100)) {
      if (Date.now() > deadline) throw new Error(`${positioned} of ${o.users} streams opened after 60 s`)
    }
    // What opening cost and is garbage by now has had a few seconds to be collected.
    await sleep(5_000)
    const rssAfter = { comm: await rssKib(commApi.proc.pid), gateway: await rssKib(gateway.proc.pid) }

    const tap = await tapEvents(broker, namespace, 'notification.created')
    const made = await createNotifications(sendMessages, students, o.notifications)
    await until('notifications', sql`select count(*)::int as n from comm.notifications where type = 'message'`, o.notifications)
    for (const deadline = Date.now() + 30_000; received.size < o.notifications && Date.now() < deadline; ) await sleep(100)
    await sleep(1_000)
    const committed = new Map(tap.envelopes().map((e) => [(e.payload as { notification_id: string }).notification_id, Date.parse(e.timestamp)]))
    await tap.close()

    const latencies: number[] = []
    let duplicates = 0
    for (const [id, times] of received) {
      duplicates += times.length - 1
      const at = committed.get(id)
      if (at !== undefined) latencies.push(times[0]! - at)
    }
    const delivered = [...committed.keys()].filter((id) => received.has(id)).length
    return {
      streams: sockets.length,
      notifications: made,
      delivered,
      duplicates,
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      max_ms: round(Math.max(...latencies)),
      comm_api_kib_per_stream: round((rssAfter.comm - rssBefore.comm) / sockets.length),
      gateway_kib_per_stream: round((rssAfter.gateway - rssBefore.gateway) / sockets.length),
    }
  } finally {
    for (const s of sockets) s.destroy()
    await stop(children)
    await db.$client.end()
    const admin = new Connection(o.rabbitUrl)
    await deleteTopology(admin, { namespace, services: ['auth', 'comm'], commands: commandBindings() })
    await admin.close()
    await broker.close()
    await smtp.stop()
    await dropDatabase(databaseUrl)
  }
}

/**
 * Where the notifications come from: `count` messages of the admin, spread
 * evenly over the students and sent through the gateway as a frontend would;
 * the comm worker stores each with one notification for its receiver.
 * Resolves with how many it sent.
 */
async function createNotifications(
  send: (messages: { receiver_id: string; subject: string; body: string }[]) => Promise<void>,
  students: { userId: string }[],
  count: number,
): Promise<number> {
  await send(
    Array.from({ length: count }, (_, i) => ({
      receiver_id: students[i % students.length]!.userId,
      subject: `Ward rota, week ${1 + (i % 52)}`,
      body: 'Your ward rota for the week is posted at the nurses’ station.',
    })),
  )
  return count
}

/** The admin who sends the messages, made as an operator makes the first one. */
const ADMIN = { email: 'bench-admin@bench.example.org', password: 'bench-admin-0wl-password' }

/** `bun run migrate` with ADMIN_EMAIL and ADMIN_PASSWORD: the first admin, as an operator makes it. */
async function createAdmin(databaseUrl: string): Promise<void> {
  const p = Bun.spawn(['bun', 'scripts/migrate.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, DATABASE_URL: databaseUrl, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited])
  if (code !== 0) throw new Error(`migrate with ADMIN_EMAIL exited ${code}: ${err}`)
}

/** `bun run apikey create`, as an operator runs it: the key it prints. */
async function createKey(databaseUrl: string): Promise<string> {
  const p = Bun.spawn(['bun', 'scripts/apikey.ts', 'create', '--name', 'bench-live', '--events', 'student.created'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited])
  if (code !== 0) throw new Error(`apikey create exited ${code}`)
  return /key: (\S+)/.exec(out)![1]!
}
