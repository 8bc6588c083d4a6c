import { and, asc, count, isNull, isNotNull, lt, min, sql } from 'drizzle-orm'
import type { RuntimeTables } from '../schemas/db/runtime.ts'
import type { Catalogue } from './catalogue.ts'
import type { Database } from './db.ts'
import type { Envelope } from './envelope.ts'
import { describe } from './errors.ts'
import { silentLogger, type Logger } from './logger.ts'
import type { EventPublisher } from './publisher.ts'
import type { OutboxRow } from './unit-of-work.ts'

export interface OutboxOptions<C extends Catalogue> {
  db: Database
  tables: RuntimeTables
  publisher: EventPublisher<C>
  logger?: Logger
  /** Rows unsent for longer than this are the relay's. @default 5000 */
  relayAfterMs?: number
  /** Rows one relay round publishes at most. @default 500 */
  relayBatch?: number
}

export interface Outbox {
  /** Publishes rows that were just committed, in order, and marks them sent; what fails is left to the relay. */
  publishCommitted(rows: OutboxRow[]): void
  /** One relay round: republishes rows left unsent; resolves with how many. */
  relayOnce(): Promise<number>
  /** Rows not yet confirmed by the broker. */
  backlog(): Promise<number>
  /** Deletes inbox rows and sent outbox rows older than `retentionMs`. */
  prune(retentionMs: number): Promise<{ inbox: number; outbox: number }>
  /** Resolves once every publish started so far has settled and its rows are marked sent. */
  idle(): Promise<void>
}

const MARK_SENT_EVERY_MS = 100
const MARK_SENT_BATCH = 1_000

export function createOutbox<C extends Catalogue>(o: OutboxOptions<C>): Outbox {
  const { outbox, inbox } = o.tables
  const log = o.logger ?? silentLogger
  const relayAfterMs = o.relayAfterMs ?? 5_000
  const relayBatch = o.relayBatch ?? 500
  let chain: Promise<void> = Promise.resolve()
  // Confirmed rows are marked sent together, in one statement every MARK_SENT_EVERY_MS: a row the
  // relay sees unsent for a moment longer is published twice at worst, which consumers dedupe.
  let confirmed: number[] = []
  let markTimer: ReturnType<typeof setTimeout> | undefined

  async function flushSent() {
    clearTimeout(markTimer)
    markTimer = undefined
    const ids = confirmed
    confirmed = []
    if (ids.length === 0) return
    await markSent(o.db, ids).catch((err) => log.warn('could not mark outbox rows sent; the relay may publish them again', { rows: ids.length, error: describe(err) }))
  }

  /** Rows were validated when written: a row must not block the relay because the catalogue changed since. */
  async function publishRows(rows: { id: number; envelope: Envelope }[]) {
    await Promise.all(rows.map((r) => o.publisher.publishEnvelope(r.envelope, { validated: true })))
  }

  /** One statement text for any number of rows: prepared once. */
  async function markSent(db: Pick<Database, 'execute'>, ids: number[]) {
    await db.execute(sql`update ${outbox} set sent_at = now() where id = any(${sql.param(ids)}::bigint[])`)
  }

  return {
    publishCommitted(rows) {
      if (rows.length === 0) return
      chain = chain.then(async () => {
        try {
          await publishRows(rows)
          for (const r of rows) confirmed.push(r.id)
          if (confirmed.length >= MARK_SENT_BATCH) await flushSent()
          else markTimer ??= setTimeout(() => void flushSent(), MARK_SENT_EVERY_MS)
        } catch (err) {
          log.warn('outbox publish failed; the relay will retry', { rows: rows.length, error: describe(err) })
        }
      })
    },

    relayOnce() {
      const cutoff = new Date(Date.now() - relayAfterMs)
      const due = and(isNull(outbox.sentAt), lt(outbox.createdAt, cutoff))
      return o.db.transaction(async (tx) => {
        // Replicas share the relay by the oldest due row: whoever locks it relays the next batch, in
        // order; the others skip it and find that the row they locked instead is not the oldest.
        const [mine] = await tx.select({ id: outbox.id }).from(outbox).where(due).orderBy(asc(outbox.id)).limit(1).for('update', { skipLocked: true })
        if (!mine) return 0
        const [oldest] = await tx.select({ id: min(outbox.id) }).from(outbox).where(due)
        if (oldest?.id !== mine.id) return 0
        const rows = await tx
          .select({ id: outbox.id, envelope: outbox.envelope })
          .from(outbox)
          .where(due)
          .orderBy(asc(outbox.id))
          .limit(relayBatch)
          .for('update')
        await publishRows(rows as { id: number; envelope: Envelope }[])
        await markSent(tx, rows.map((r) => r.id))
        log.info('outbox relayed unsent events', { count: rows.length })
        return rows.length
      })
    },

    async backlog() {
      const [row] = await o.db.select({ n: count() }).from(outbox).where(isNull(outbox.sentAt))
      return row?.n ?? 0
    },

    async prune(retentionMs) {
      const before = new Date(Date.now() - retentionMs)
      const prunedInbox = await o.db.delete(inbox).where(lt(inbox.receivedAt, before)).returning({ id: inbox.messageId })
      const prunedOutbox = await o.db.delete(outbox).where(and(isNotNull(outbox.sentAt), lt(outbox.sentAt, before))).returning({ id: outbox.id })
      return { inbox: prunedInbox.length, outbox: prunedOutbox.length }
    },

    idle: () => chain.then(flushSent),
  }
}
