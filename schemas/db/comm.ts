import { sql } from 'drizzle-orm'
import { bigint, index, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { emailOutboxTable } from './emails.ts'
import { runtimeTables, tokenVersionsTable } from './runtime.ts'

export const commSchema = pgSchema('comm')
/** Inbox, outbox and command results of comm: exported one by one so drizzle-kit sees them. */
export const commRuntime = runtimeTables(commSchema)
export const { inbox: commInbox, outbox: commOutbox, commandResults: commCommandResults, commandEffects: commCommandEffects } = commRuntime
/** The accounts' token versions and roles, kept by the comm worker from auth's events, checked by the comm API. */
export const commTokenVersions = tokenVersionsTable(commSchema)

/** What a notification is about. */
export const NOTIFICATION_TYPES = ['welcome', 'stage', 'evaluation_due', 'evaluation', 'grade', 'message'] as const
export type NotificationType = (typeof NOTIFICATION_TYPES)[number]

/** What a notification links to: `related_id` is a stage's id (for its grade too), an evaluation's or a message's. */
export const RELATED_TYPES = ['stage', 'evaluation', 'message'] as const
export type RelatedType = (typeof RELATED_TYPES)[number]

export const notifications = commSchema.table(
  'notifications',
  {
    id: uuid('id').primaryKey(),
    /** The user (account) it is for. */
    userId: uuid('user_id').notNull(),
    type: text('type', { enum: NOTIFICATION_TYPES }).notNull(),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    /** Null for a notification about nothing but itself (a welcome). */
    relatedType: text('related_type', { enum: RELATED_TYPES }),
    relatedId: uuid('related_id'),
    /**
     * What caused it, one notification per cause: `welcome:<student_id>`, or
     * `<event_type>:<stage_id, evaluation_id or message_id>:<user_id>` (`evaluation_due:<stage_id>:<user_id>`),
     * a fact that happens once, whatever event id it arrives under.
     */
    dedupeKey: text('dedupe_key').notNull(),
    readAt: timestamp('read_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('notifications_user_idx').on(t.userId, t.createdAt), uniqueIndex('notifications_dedupe_idx').on(t.dedupeKey)],
)

/** student_id → user_id, kept from `student.*`, so later events about a student reach their account. */
export const commStudents = commSchema.table(
  'students',
  {
    studentId: uuid('student_id').primaryKey(),
    userId: uuid('user_id').notNull(),
    /** Where the student's emails go. */
    email: text('email').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set by `student.deleted`: the row stays as a tombstone, so a late `student.created` brings nothing back. */
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
  },
  (t) => [index('students_user_idx').on(t.userId)],
)

/** encadrant_id → user_id, establishment and email address, kept from `encadrant.*`: whom a stage's events notify. */
export const commEncadrants = commSchema.table(
  'encadrants',
  {
    encadrantId: uuid('encadrant_id').primaryKey(),
    userId: uuid('user_id').notNull(),
    /** Null for an encadrant attached to no establishment. */
    establishmentId: uuid('establishment_id'),
    /** Where the encadrant's emails go, from `encadrant.created` (or an update carrying it); null for one heard of before comm kept it. */
    email: text('email'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('encadrants_establishment_idx').on(t.establishmentId), index('encadrants_user_idx').on(t.userId)],
)

/** A stage's status, in the order they come; `cancelled` ends any stage before `completed`. */
export const STAGE_STATUSES = ['created', 'accepted', 'started', 'completed', 'cancelled'] as const
export type StageStatus = (typeof STAGE_STATUSES)[number]

/**
 * Who each stage is about, kept from `stage.*`: each event fills what it
 * carries (null: not heard yet); the status only moves forward, whatever order
 * the events arrive in.
 */
export const commStages = commSchema.table(
  'stages',
  {
    stageId: uuid('stage_id').primaryKey(),
    studentId: uuid('student_id'),
    encadrantId: uuid('encadrant_id'),
    establishmentId: uuid('establishment_id'),
    status: text('status', { enum: STAGE_STATUSES }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  // Who supervises whom: the messages API asks it of each message.
  (t) => [index('stages_encadrant_student_idx').on(t.encadrantId, t.studentId)],
)

/**
 * A message from one user to another (ids are user ids). A reply names the
 * message it answers (`reply_to`) and belongs to its thread: `thread_id` is
 * the id of the thread's first message, which is its own thread.
 */
export const messages = commSchema.table(
  'messages',
  {
    id: uuid('id').primaryKey(),
    senderId: uuid('sender_id').notNull(),
    receiverId: uuid('receiver_id').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    replyTo: uuid('reply_to'),
    threadId: uuid('thread_id').notNull(),
    /** When its receiver marked it read; null while unread. */
    readAt: timestamp('read_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('messages_receiver_idx').on(t.receiverId, t.createdAt),
    index('messages_sender_idx').on(t.senderId, t.createdAt),
    index('messages_thread_idx').on(t.threadId, t.createdAt),
    // The unread count of an inbox, asked with every list of it.
    index('messages_unread_idx').on(t.receiverId).where(sql`${t.readAt} is null`),
  ],
)

/** What a document is. */
export const DOCUMENT_KINDS = ['convention', 'report', 'certificate', 'other'] as const
export type DocumentKind = (typeof DOCUMENT_KINDS)[number]

/** The types a document may have, recognised by the file's first bytes (never by its name). */
export const DOCUMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg'] as const
export type DocumentType = (typeof DOCUMENT_TYPES)[number]

/**
 * A student's document: its metadata. The bytes are in the blob store under
 * `sha256`, put there by the API before the row was asked for, so two
 * documents of the same bytes share them.
 */
export const documents = commSchema.table(
  'documents',
  {
    id: uuid('id').primaryKey(),
    studentId: uuid('student_id').notNull(),
    /** The stage it belongs to; null for one about the student alone. */
    stageId: uuid('stage_id'),
    kind: text('kind', { enum: DOCUMENT_KINDS }).notNull(),
    /** The name it was uploaded under, as given (shown, and offered on download). */
    filename: text('filename').notNull(),
    contentType: text('content_type', { enum: DOCUMENT_TYPES }).notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    /** Lower-case hex: the blob store's key. */
    sha256: text('sha256').notNull(),
    /** The user who uploaded it: the student, an encadrant of the stage, or an admin. */
    uploadedBy: uuid('uploaded_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('documents_student_idx').on(t.studentId, t.createdAt),
    index('documents_stage_idx').on(t.stageId),
    // An admin's list of every document, newest first.
    index('documents_created_idx').on(t.createdAt, t.id),
  ],
)

/** comm's email outbox (the notifications it mails), the same shape as auth's. */
export const commEmails = emailOutboxTable(commSchema)

/** What the log says of an email: the mail server took it, or it was given up. */
export const EMAIL_LOG_STATUSES = ['sent', 'failed'] as const
export type EmailLogStatus = (typeof EMAIL_LOG_STATUSES)[number]

/**
 * Every email any service reported (`email.sent`, `email.failed`), one row per
 * email: a copy of the event changes nothing, and `sent` stays `sent`
 * whatever `failed` arrives for it (the mail server has the email).
 */
export const emailLog = commSchema.table(
  'email_log',
  {
    emailId: uuid('email_id').primaryKey(),
    /** The service that sent (or gave up) the email, as the event envelope's `service` names it (`auth-service`). */
    producer: text('producer').notNull(),
    recipient: text('recipient').notNull(),
    /** Null for a failure whose event did not say it. */
    subject: text('subject'),
    status: text('status', { enum: EMAIL_LOG_STATUSES }).notNull(),
    /** Why it was given up; null once sent. */
    error: text('error'),
    /** When the producer sent or gave it up: the event's timestamp. */
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('email_log_occurred_idx').on(t.occurredAt, t.emailId),
    index('email_log_recipient_idx').on(sql`lower(${t.recipient})`, t.occurredAt),
    index('email_log_status_idx').on(t.status, t.occurredAt),
  ],
)
