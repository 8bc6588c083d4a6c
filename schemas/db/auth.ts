import { sql } from 'drizzle-orm'
import { index, integer, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { emailOutboxTable } from './emails.ts'
import { runtimeTables } from './runtime.ts'

export const authSchema = pgSchema('auth')
/** Inbox, outbox and command results of auth: exported one by one so drizzle-kit sees them. */
export const authRuntime = runtimeTables(authSchema)
export const { inbox: authInbox, outbox: authOutbox, commandResults: authCommandResults, commandEffects: authCommandEffects } = authRuntime

export const users = authSchema.table(
  'users',
  {
    id: uuid('id').primaryKey(),
    email: text('email').notNull(),
    /** argon2id; null until the user sets a password (an account made for a student an admin created). */
    passwordHash: text('password_hash'),
    /** `student`, `encadrant` or `admin`. */
    role: text('role').notNull(),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    /** Raised when the password changes: tokens carrying an older version stop working. */
    tokenVersion: integer('token_version').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('users_email_lower_idx').on(sql`lower(${t.email})`)],
)

/** One-time tokens mailed to users; only their SHA-256 is stored. */
export const userTokens = authSchema.table(
  'user_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id').notNull(),
    /** `verify_email`, `set_password` or `reset_password`. */
    purpose: text('purpose').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.userId)],
)

/**
 * A signed-in device: opened by a login, kept by its refresh tokens, ended by
 * a logout, a logout everywhere, a new password, or one of its refresh tokens
 * used a second time (someone else holds a copy).
 */
export const sessions = authSchema.table(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** Why it ended: `logout`, `logout_all`, `password_changed`, `password_reset`, `refresh_reused`, `address_taken_over`. */
    endReason: text('end_reason'),
  },
  (t) => [index().on(t.userId)],
)

/** The refresh tokens of the sessions, only their SHA-256: each trades once for its successor in the same session. */
export const refreshTokens = authSchema.table(
  'refresh_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    sessionId: uuid('session_id').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** When it was traded for its successor: presented again after that, it ends its session. */
    spentAt: timestamp('spent_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.sessionId)],
)

/**
 * Failed logins, counted per account (`account:<email in lower case>`) and per
 * client address (`address:<ip>`) by the worker, read by every API replica
 * before it checks a password: while `blocked_until` is ahead, logins wait.
 */
export const loginFailures = authSchema.table('login_failures', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  /** The start of the minute the failures under the limit are counted in. */
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull(),
  lastFailureAt: timestamp('last_failure_at', { withTimezone: true }).notNull(),
  blockedUntil: timestamp('blocked_until', { withTimezone: true }),
})

/** The email outbox: written in the same transaction as what caused the email (a link to verify an address, to set a password), sent by the worker. */
export const emails = emailOutboxTable(authSchema)
