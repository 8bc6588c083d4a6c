import { sql } from 'drizzle-orm'
import { index, integer, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { emailOutboxTable } from './emails.ts'
import { runtimeTables } from './runtime.ts'

export const authSchema = pgSchema('auth')
/** Inbox, outbox and command results of auth: exported one by one so drizzle-kit sees them. */
export const authRuntime = runtimeTables(authSchema)
export const { inbox: authInbox, outbox: authOutbox, commandResults: authCommandResults } = authRuntime

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
    /** `verify_email` or `set_password`. */
    purpose: text('purpose').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.userId)],
)

/** The email outbox: written in the same transaction as what caused the email (a link to verify an address, to set a password), sent by the worker. */
export const emails = emailOutboxTable(authSchema)
