import { sql } from 'drizzle-orm'
import { index, integer, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
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

/** The email outbox: written in the same transaction as what caused the email, sent (and retried) by the worker. */
export const emails = authSchema.table(
  'emails',
  {
    id: uuid('id').primaryKey(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html'),
    /** `pending`, `sent` or `failed`. */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** When its link stops working (the token's expiry): an email not sent by then is given up, not sent. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [index('emails_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`)],
)
