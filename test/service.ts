import { expect } from 'bun:test'
import { createServer } from 'node:net'
import type { Connection } from 'rabbitmq-client'
import { apiSettingsSchema } from '../api/kit/config.ts'
import { signToken, type Role } from '../api/kit/jwt.ts'
import { startApi, type ApiDefinition, type RunningApi } from '../api/kit/start.ts'
import { createPublisher, DEFAULT_RETRY_TIERS, deleteTopology, listDeadLetters, parseConfig, silentLogger, type DeadLetter, type EventPublisher, type Logger } from '../core/index.ts'
import { commandBindings } from '../schemas/commands/index.ts'
import { catalogue } from '../schemas/events/index.ts'
import { retryTiers, WorkerConfig } from '../workers/kit/config.ts'
import type { WorkerDefinition } from '../workers/kit/define.ts'
import { startWorker, type RunningWorker } from '../workers/kit/run.ts'
import { connect, RABBITMQ_URL, tapEvents, testNamespace, type EventTap } from './broker.ts'
import { createTestDatabase, type TestDatabase } from './database.ts'

/** The JWT secret of every service API a test starts. */
export const TEST_JWT_SECRET = 'medtrack-test-secret-0123456789abcdef'

/** A test's service; its API, when it has one, is the API of the service N. */
export interface ServiceOptions<N extends string = string> {
  /** Names the database, the broker namespace and the test's broker connection. */
  label: string
  api?: ApiDefinition<any, N>
  worker?: WorkerDefinition
  /** Leaves the worker stopped until `startWorker()`. @default false */
  deferWorker?: boolean
  /** Settings of the API and the worker, over the test's own database and namespace, `PORT=0`, `LOG_LEVEL=error` and `TEST_JWT_SECRET`. */
  env?: Record<string, string>
  /** Settings of the API only, e.g. a `RABBITMQ_URL` nothing answers on. */
  apiEnv?: Record<string, string>
  /** Where the worker logs, to read what it says. @default silent (or the console with DEBUG_WORKER) */
  workerLog?: Logger
}

/**
 * One service in-process for a test: its own database and broker namespace,
 * its API and worker, and a broker connection of the test's own for
 * publishers and taps. `close()` stops everything and removes what it made.
 */
export interface Service {
  database: TestDatabase
  namespace: string
  connection: Connection
  api?: RunningApi
  /** Set once the worker runs. */
  worker?: RunningWorker
  /** The API's address of `path`, e.g. `/profile/api/students`. */
  url(path: string): string
  startWorker(): Promise<RunningWorker>
  /** How many events of `type` the worker has finished with (applied, or found to be duplicates). */
  handled(type: string): Promise<number>
  /** The dead letters of the service's worker (or API), oldest first. */
  deadLetters(): Promise<DeadLetter[]>
  /** Publishes as `service` would; closed with the service. */
  publisher(service: string): EventPublisher<typeof catalogue>
  /** Keeps every event published under the namespace that matches `pattern`; closed with the service. */
  tap(pattern?: string): Promise<EventTap>
  close(): Promise<void>
}

export async function startService<N extends string>(o: ServiceOptions<N>): Promise<Service> {
  const namespace = testNamespace(o.label)
  const database = await createTestDatabase(o.label)
  const connection = connect(`${o.label}-test`)
  const env = { DATABASE_URL: database.url, RABBITMQ_URL, MEDTRACK_NAMESPACE: namespace, LOG_LEVEL: process.env.DEBUG_WORKER ? 'debug' : 'error', PORT: '0', JWT_SECRET: TEST_JWT_SECRET, ...o.env }
  const workerConfig = parseConfig(WorkerConfig, env)
  const closing: (() => Promise<void>)[] = []
  const api = o.api && (await startApi(o.api, parseConfig(apiSettingsSchema(o.api.settings), { ...env, ...o.apiEnv }), silentLogger))

  const service: Service = {
    database,
    namespace,
    connection,
    api,
    url(path) {
      if (!api) throw new Error(`${o.label}: no API was started`)
      return `http://127.0.0.1:${api.port}${path}`
    },
    async startWorker() {
      if (!o.worker) throw new Error(`${o.label}: no worker was given`)
      service.worker = await startWorker(o.worker, workerConfig, o.workerLog ?? (process.env.DEBUG_WORKER ? undefined : silentLogger))
      return service.worker
    },
    async handled(type) {
      if (!service.worker) throw new Error(`${o.label}: the worker is not running`)
      const line = (await service.worker.metrics.render()).split('\n').find((l) => l.startsWith(`medtrack_messages_total{queue="events",type="${type}",outcome="handled"}`))
      return line ? Number(line.split(' ').pop()) : 0
    },
    deadLetters: () => listDeadLetters({ connection, service: (o.worker ?? o.api)!.service, namespace }),
    publisher(as) {
      const publisher = createPublisher({ connection, catalogue, service: as, namespace })
      closing.push(() => publisher.close())
      return publisher
    },
    async tap(pattern) {
      const tap = await tapEvents(connection, namespace, pattern)
      closing.push(() => tap.close())
      return tap
    },
    async close() {
      await api?.stop()
      await service.worker?.close()
      for (const close of closing.splice(0)) await close()
      // The API declares the default retry tiers, the worker those of its settings.
      const tiers = new Set([...(o.api ? DEFAULT_RETRY_TIERS : []), ...(o.worker ? (retryTiers(workerConfig) ?? DEFAULT_RETRY_TIERS) : [])])
      const services = [...new Set([o.api?.service, o.worker?.service].filter((s) => s !== undefined))]
      await deleteTopology(connection, { namespace, services, retryTiers: [...tiers], commands: commandBindings() })
      await connection.close()
      await database.drop()
    },
  }
  if (o.worker && !o.deferWorker) await service.startWorker()
  return service
}

/** A token of the test services' secret for a user of `role` (a new user id when `sub` is omitted). */
export const tokenFor = (role: Role, sub: string = crypto.randomUUID()): Promise<string> => signToken(TEST_JWT_SECRET, { sub, role })

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** POSTs `body` as JSON; a string is sent as it is, to send what is not JSON. */
export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** The JSON body of a response that says it is JSON. */
export async function json(res: Response): Promise<any> {
  expect(res.headers.get('content-type') ?? '').toContain('application/json')
  return res.json()
}

/** A free local port nothing listens on: a service or a broker that is down. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

/** An answer as a client sees it: the status and the parsed JSON body. */
export interface Answer {
  status: number
  body: any
}

/** Calls an API (paths under `base`) as one caller: with the token when given, anonymous otherwise. */
export function jsonClient(base: string, token?: Promise<string> | string) {
  const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' }
    if (token) headers.authorization = `Bearer ${await token}`
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown) => call('POST', path, body),
    patch: (path: string, body: unknown) => call('PATCH', path, body),
    delete: (path: string) => call('DELETE', path),
  }
}

