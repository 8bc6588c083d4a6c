/** The `gateway.published_events` table: the external events published with an Idempotency-Key. */
import { createHash } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { canonicalJson, type Database } from '../../core/index.ts'
import { publishedEvents } from '../../schemas/db/gateway.ts'

export interface PublishedEvents {
  /** The event id a retry of this request was published under before, if it was. */
  find(keyId: string, requestHash: string): Promise<string | undefined>
  /** Notes that the event was published (confirmed by the broker); a second note of it changes nothing. */
  remember(row: { keyId: string; requestHash: string; eventId: string; eventType: string }): Promise<void>
}

/** One hash for an Idempotency-Key and the event it came with: another event with the same key is another request. */
export function requestHash(idempotencyKey: string, event: unknown): string {
  return createHash('sha256').update(canonicalJson([idempotencyKey, event])).digest('hex')
}

export function publishedEventsIn(db: Database): PublishedEvents {
  return {
    async find(keyId, hash) {
      const [row] = await db.select({ eventId: publishedEvents.eventId }).from(publishedEvents).where(and(eq(publishedEvents.keyId, keyId), eq(publishedEvents.requestHash, hash)))
      return row?.eventId
    },
    async remember(row) {
      await db.insert(publishedEvents).values(row).onConflictDoNothing()
    },
  }
}
