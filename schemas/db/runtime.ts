import { bigint, index, integer, json, jsonb, primaryKey, text, timestamp, type PgSchema } from 'drizzle-orm/pg-core'
import { sql } from 'drizzle-orm'

/**
 * The tables every service schema has: the inbox that makes message handling
 * exactly-once, the outbox that makes emitting events atomic with the state
 * change, and the stored results of commands.
 */
export function runtimeTables<S extends string>(schema: PgSchema<S>) {
  const inbox = schema.table(
    'inbox',
    {
      consumer: text('consumer').notNull(),
      messageId: text('message_id').notNull(),
      receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (t) => [primaryKey({ columns: [t.consumer, t.messageId] }), index().on(t.receivedAt)],
  )

  const outbox = schema.table(
    'outbox',
    {
      id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
      eventId: text('event_id').notNull().unique(),
      eventType: text('event_type').notNull(),
      envelope: jsonb('envelope').notNull(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      sentAt: timestamp('sent_at', { withTimezone: true }),
    },
    (t) => [index('outbox_unsent_idx').on(t.id).where(sql`${t.sentAt} is null`)],
  )

  const commandResults = schema.table('command_results', {
    commandId: text('command_id').primaryKey(),
    commandType: text('command_type').notNull(),
    /** Who sent the command; only they (or an admin) may read its result. Null for anonymous commands. */
    actorId: text('actor_id'),
    /** `succeeded` or `failed`. */
    outcome: text('outcome').notNull(),
    httpStatus: integer('http_status').notNull(),
    /** `json`, not `jsonb`: a replayed answer keeps the very bytes of the first. */
    body: json('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  })

  return { inbox, outbox, commandResults }
}

export type RuntimeTables = ReturnType<typeof runtimeTables>
