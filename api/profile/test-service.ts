import type { Static } from '@sinclair/typebox'
import { and, eq } from 'drizzle-orm'
import type { Connection } from 'rabbitmq-client'
import type { Envelope } from '../../core/index.ts'
import { profileInbox, profileOutbox } from '../../schemas/db/profile.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { waitFor } from '../../test/broker.ts'
import type { TestDatabase } from '../../test/database.ts'
import { jsonClient, startService, tokenFor, type Answer } from '../../test/service.ts'
import type { RunningWorker } from '../../workers/kit/run.ts'
import { profileWorker } from '../../workers/profile/worker.ts'
import type { Role } from '../kit/jwt.ts'
import { profileApi } from './app.ts'

type Catalogue = typeof catalogue
type EventType = keyof Catalogue & string

export type { Answer } from '../../test/service.ts'

/** Calls the profile API as one caller (no token: anonymous). */
export interface Client {
  get(path: string): Promise<Answer>
  post(path: string, body: unknown): Promise<Answer>
  patch(path: string, body: unknown): Promise<Answer>
  delete(path: string): Promise<Answer>
}

/**
 * The profile service of one test file (test/service.ts): its own database and
 * broker namespace, API and worker in-process, and a tap on the namespace's
 * events exchange that keeps every event published.
 */
export interface ProfileService {
  database: TestDatabase
  namespace: string
  /** The test's own broker connection. */
  connection: Connection
  /** A caller with a token for the role; `sub` is their user id (new when omitted). */
  as(role: Role, sub?: string): Client
  /** A caller presenting this very token. */
  bearing(token: string): Client
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
  const service = await startService({ label, api: profileApi, worker: profileWorker, env: { RELAY_INTERVAL_MS: '200' } })
  const { database } = service
  const tap = await service.tap()
  const publisher = service.publisher('auth')

  const client = (token?: Promise<string>): Client => jsonClient(service.url('/profile/api'), token)

  return {
    database,
    namespace: service.namespace,
    connection: service.connection,
    worker: service.worker!,
    get published() {
      return tap.envelopes()
    },
    as: (role, sub) => client(tokenFor(role, sub)),
    bearing: (token) => client(Promise.resolve(token)),
    anonymous: client(),
    async waitForEvent(type, match) {
      let found: Envelope | undefined
      await waitFor(() => !!(found = tap.envelopes().find((e) => e.event_type === type && match(e.payload))), 5_000, `${type} on the bus`)
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
    handled: (type) => service.handled(type),
    close: () => service.close(),
  }
}

export const uniqueEmail = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`

/** The paths named in a 422 answer. */
export const problemPaths = (a: Answer): string[] => (a.body?.problems ?? []).map((p: { path: string }) => p.path)

