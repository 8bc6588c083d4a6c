import { sql } from 'drizzle-orm'
import { jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { runtimeTables } from './runtime.ts'

export const gatewaySchema = pgSchema('gateway')
/** Inbox, outbox and command results of gateway: exported one by one so drizzle-kit sees them. */
export const gatewayRuntime = runtimeTables(gatewaySchema)
export const { inbox: gatewayInbox, outbox: gatewayOutbox, commandResults: gatewayCommandResults, commandEffects: gatewayCommandEffects } = gatewayRuntime

/**
 * Keys external systems publish events with; only the SHA-256 of a key is
 * stored. A name is one active key's: a revoked key leaves its name free for
 * the key that replaces it.
 */
export const apiKeys = gatewaySchema.table(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    /** The first characters of the key, to recognise it in listings. */
    prefix: text('prefix').notNull(),
    /** Event type patterns the key may publish, e.g. `student.*`, `grade.assigned`. */
    eventPatterns: jsonb('event_patterns').$type<string[]>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_keys_active_name_idx').on(t.name).where(sql`${t.revokedAt} is null`)],
)

/**
 * External events published with an `Idempotency-Key`: a retry of the same
 * event with the same key is answered with the event id it was published
 * under, and not published again, however long ago (consumers forget the
 * event ids they have seen after INBOX_RETENTION_MS; this table does not).
 */
export const publishedEvents = gatewaySchema.table(
  'published_events',
  {
    keyId: uuid('key_id').notNull(),
    /** SHA-256 of the Idempotency-Key and the event, as one. */
    requestHash: text('request_hash').notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.requestHash] })],
)
