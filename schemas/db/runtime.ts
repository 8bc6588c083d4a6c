import { bigint, index, integer, json, jsonb, primaryKey, text, timestamp, uuid, type PgSchema } from 'drizzle-orm/pg-core'
import { sql } from 'drizzle-orm'

/**
 * The tables every service schema has: the inbox that makes message handling
 * exactly-once, the outbox that makes emitting events atomic with the state
 * change, the stored results of commands, and what their effects outside the
 * database did.
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

  /**
   * What the effect of a command outside the database (on the broker, say)
   * did, stored as soon as it is done, before the command's transaction: a
   * command that comes back (its worker stopped, its transaction failed) is
   * applied with it, its effect not done again. Kept, as results are.
   */
  const commandEffects = schema.table('command_effects', {
    commandId: text('command_id').primaryKey(),
    commandType: text('command_type').notNull(),
    /** `{"done": …}`, what the effect answered, or `{"refused": {status, code, message, problems}}`, the refusal it threw. */
    outcome: json('outcome').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  })

  return { inbox, outbox, commandResults, commandEffects }
}

export type RuntimeTables = ReturnType<typeof runtimeTables>

/**
 * What a service knows of each account from auth's events (`user.created`,
 * `user.password_changed`, `user.deleted`): the token version a token must
 * carry at least, the role it must carry, and whether the account is gone.
 * The service's API refuses, on its own, a token that is retired, of another
 * role, or of a deleted account.
 */
export function tokenVersionsTable<S extends string>(schema: PgSchema<S>) {
  return schema.table('token_versions', {
    userId: uuid('user_id').primaryKey(),
    /** `student`, `encadrant` or `admin`; null until `user.created` says it (a later event can be heard first). */
    role: text('role'),
    /** Tokens issued with an older version are retired. */
    tokenVersion: integer('token_version').notNull().default(0),
    /** Set by `user.deleted`, for good: the account's tokens are all refused. */
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  })
}

export type TokenVersionsTable = ReturnType<typeof tokenVersionsTable>
