import { and, asc, count, inArray, isNull, isNotNull, lt, min } from 'drizzle-orm'
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
  /** Resolves once every publish started so far has settled. */
  idle(): Promise<void>
}

export function createOutbox<C extends Catalogue>(o: OutboxOptions<C>): Outbox {
  const { outbox, inbox } = o.tables
  const log = o.logger ?? silentLogger
  const relayAfterMs = o.relayAfterMs ?? 5_000
  const relayBatch = o.relayBatch ?? 500
  let chain: Promise<void> = Promise.resolve()

  async function publishRows(rows: { id: number; envelope: Envelope }[], validated: boolean) {
    await Promise.all(rows.map((r) => o.publisher.publishEnvelope(r.envelope, { validated })))
  }

  async function markSent(db: Pick<Database, 'update'>, ids: number[]) {
    await db.update(outbox).set({ sentAt: new Date() }).where(inArray(outbox.id, ids))
  }

  return {
    publishCommitted(rows) {
      if (rows.length === 0) return
      chain = chain.then(async () => {
        try {
          await publishRows(rows, true)
          await markSent(o.db, rows.map((r) => r.id))
        } catch (err) {
          log.warn('outbox publish failed; the relay will retry', { rows: rows.length, error: describe(err) })
        }
      })
    },

    relayOnce() {
      const cutoff = new Date(Date.now() - relayAfterMs)
      const due = and(isNull(outbox.sentAt), lt(outbox.createdAt, cutoff))
      return o.db.transaction(async (tx) => {
        const [head] = await tx.select({ id: min(outbox.id) }).from(outbox).where(due)
        if (head?.id == null) return 0
        const rows = await tx
          .select({ id: outbox.id, envelope: outbox.envelope })
          .from(outbox)
          .where(due)
          .orderBy(asc(outbox.id))
          .limit(relayBatch)
          .for('update', { skipLocked: true })
        // Another replica holds the oldest rows: it relays them first, in order.
        if (rows.length === 0 || rows[0]!.id !== head.id) return 0
        await publishRows(rows as { id: number; envelope: Envelope }[], false)
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

    idle: () => chain,
  }
}
