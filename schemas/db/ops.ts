import { sql } from 'drizzle-orm'
import { bigint, index, jsonb, pgSchema, text, timestamp } from 'drizzle-orm/pg-core'
import { runtimeTables, tokenVersionsTable } from './runtime.ts'

export const opsSchema = pgSchema('ops')
/** Inbox, outbox and command results of ops: exported one by one so drizzle-kit sees them. */
export const opsRuntime = runtimeTables(opsSchema)
export const { inbox: opsInbox, outbox: opsOutbox, commandResults: opsCommandResults, commandEffects: opsCommandEffects } = opsRuntime
/** The accounts' token versions and roles, kept by the ops worker from auth's events, checked by the ops API. */
export const opsTokenVersions = tokenVersionsTable(opsSchema)

/**
 * The audit trail: every event that went through `medtrack.events`, as it
 * arrived, one row per event id. Rows are only ever added, and removed only
 * past the retention (`AUDIT_RETENTION_DAYS`).
 */
export const auditEvents = opsSchema.table(
  'audit_events',
  {
    /** The order rows were kept in: newest first is `id` descending. */
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    eventId: text('event_id').notNull().unique(),
    type: text('type').notNull(),
    /** The envelope's `service`: a service, or `external:<key name>`. */
    producer: text('producer').notNull(),
    correlationId: text('correlation_id'),
    /** The event or command that caused this one. */
    causationId: text('causation_id'),
    /** The envelope's `occurred_at`. */
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    /** The routing key it was published with. */
    routingKey: text('routing_key').notNull(),
    /** The envelope exactly as it was published (its payload included). */
    envelope: jsonb('envelope').notNull(),
    /** The AMQP headers and properties it came with. */
    headers: jsonb('headers').notNull(),
    /** Every id the payload holds, at any depth (a stage's id, its student's…), for the search by entity. */
    entityIds: text('entity_ids').array().notNull().default(sql`'{}'::text[]`),
  },
  (t) => [
    index('audit_events_type_idx').on(t.type, t.id),
    index('audit_events_producer_idx').on(t.producer, t.id),
    index('audit_events_correlation_idx').on(t.correlationId),
    index('audit_events_causation_idx').on(t.causationId),
    index('audit_events_received_idx').on(t.receivedAt),
    index('audit_events_entity_idx').using('gin', t.entityIds),
  ],
)
