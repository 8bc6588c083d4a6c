import type { Static } from '@sinclair/typebox'
import { and, eq } from 'drizzle-orm'
import type { AsyncMessage, Consumer } from 'rabbitmq-client'
import { createPublisher, declareTopology, deleteTopology, Names, parseConfig, silentLogger, type Envelope } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { profileInbox, profileOutbox } from '../../schemas/db/profile.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { connect, RABBITMQ_URL, testNamespace, waitFor } from '../../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import { WorkerConfig } from '../../workers/kit/config.ts'
import { startWorker, type RunningWorker } from '../../workers/kit/run.ts'
import { profileWorker } from '../../workers/profile/worker.ts'
import { ApiConfig } from '../kit/config.ts'
import { signToken, type Role } from '../kit/jwt.ts'
import { startApi, type RunningApi } from '../kit/start.ts'
import { profileApi } from './app.ts'

const SECRET = 'profile-test-secret-0123456789abcdef'

type Catalogue = typeof catalogue
type EventType = keyof Catalogue & string

/** An answer as a client sees it. */
export interface Answer {
  status: number
  body: any
}

/** Calls the profile API as one caller (no token: anonymous). */
export interface Client {
  get(path: string): Promise<Answer>
  post(path: string, body: unknown): Promise<Answer>
  patch(path: string, body: unknown): Promise<Answer>
  delete(path: string): Promise<Answer>
}

/**
 * The profile service of one test file: its own database and broker
 * namespace, API and worker in-process, and a tap on the namespace's events
 * exchange that keeps every event published.
 */
export interface ProfileService {
  database: TestDatabase
  namespace: string
  /** A caller with a token for the role; `sub` is their user id (new when omitted). */
  as(role: Role, sub?: string): Client
  anonymous: Client
  /** Events seen on the bus so far. */
  published: Envelope[]
  /** Waits until an event of the type whose payload matches has been seen on the bus. */
  waitForEvent(type: EventType, match: (payload: any) => boolean): Promise<Envelope>
  /** Events of the type appended to the outbox (committed), whose payload matches. */
  emitted(type: EventType, match?: (payload: any) => boolean): Promise<Envelope[]>
  /** Publishes an event as its producer would; the id may be given to publish the same event again. */
  publish<T extends EventType>(type: T, payload: Static<Catalogue[T]['payload']>, eventId?: string): Promise<Envelope>
  /** Waits until the worker has applied (recorded in its inbox) the event with this id. */
  applied(eventId: string): Promise<void>
  /** How many events of the type the worker has consumed and acked as handled (duplicates included). */
  handled(type: EventType): Promise<number>
  worker: RunningWorker
  close(): Promise<void>
}

export async function startProfileService(label: string): Promise<ProfileService> {
  const namespace = testNamespace(label)
  const database = await createTestDatabase(label)
  const broker = connect(`profile-test-${label}`)
  const env = { DATABASE_URL: database.url, RABBITMQ_URL, MEDTRACK_NAMESPACE: namespace, LOG_LEVEL: 'error' }
  await declareTopology(broker, { namespace, services: ['profile'], commands: commandBindings() })

  const published: Envelope[] = []
  const tap: Consumer = broker.createConsumer(
    { queue: '', queueOptions: { exclusive: true }, queueBindings: [{ exchange: new Names(namespace).events, routingKey: '#' }] },
    (m: AsyncMessage) => void published.push(JSON.parse(Buffer.isBuffer(m.body) ? m.body.toString('utf8') : JSON.stringify(m.body))),
  )
  await new Promise((r) => tap.once('ready', r))

  const api: RunningApi = await startApi(profileApi, parseConfig(ApiConfig, { ...env, PORT: '0', JWT_SECRET: SECRET }), silentLogger)
  const worker = await startWorker(profileWorker, parseConfig(WorkerConfig, { ...env, PORT: '0', RELAY_INTERVAL_MS: '200' }), silentLogger)
  const publisher = createPublisher({ connection: broker, catalogue, service: 'auth', namespace })

  const client = (token?: Promise<string>): Client => {
    const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
      const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' }
      if (token) headers.authorization = `Bearer ${await token}`
      const res = await fetch(`http://127.0.0.1:${api.port}/profile/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : undefined }
    }
    return {
      get: (path) => call('GET', path),
      post: (path, body) => call('POST', path, body),
      patch: (path, body) => call('PATCH', path, body),
      delete: (path) => call('DELETE', path),
    }
  }

  return {
    database,
    namespace,
    worker,
    published,
    as: (role, sub = crypto.randomUUID()) => client(signToken(SECRET, { sub, role })),
    anonymous: client(),
    async waitForEvent(type, match) {
      let found: Envelope | undefined
      await waitFor(() => !!(found = published.find((e) => e.event_type === type && match(e.payload))), 5_000, `${type} on the bus`)
      return found!
    },
    async emitted(type, match = () => true) {
      const rows = await database.db.select().from(profileOutbox).where(eq(profileOutbox.eventType, type)).orderBy(profileOutbox.id)
      return rows.map((r) => r.envelope as Envelope).filter((e) => match(e.payload))
    },
    publish: (type, payload, eventId) => publisher.publish(type, payload, eventId ? { eventId } : {}),
    async applied(eventId) {
      await waitFor(
        async () => (await database.db.select().from(profileInbox).where(and(eq(profileInbox.consumer, 'events'), eq(profileInbox.messageId, eventId)))).length > 0,
        5_000,
        `event ${eventId} applied`,
      )
    },
    async handled(type) {
      const line = (await worker.metrics.render()).split('\n').find((l) => l.startsWith(`medtrack_messages_total{queue="events",type="${type}",outcome="handled"}`))
      return line ? Number(line.split(' ').pop()) : 0
    },
    async close() {
      await api.stop()
      await worker.close()
      await tap.close()
      await publisher.close()
      await deleteTopology(broker, { namespace, services: ['profile'], commands: commandBindings() })
      await broker.close()
      await database.drop()
    },
  }
}

export const uniqueEmail = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`

/** The paths named in a 422 answer. */
export const problemPaths = (a: Answer): string[] => (a.body?.problems ?? []).map((p: { path: string }) => p.path)

