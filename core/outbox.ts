import { setImmediate } from 'node:timers'
import { and, asc, count, isNull, isNotNull, lt, lte, min, sql, type SQL } from 'drizzle-orm'
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
  /** Rows unsent for longer than this (by the database's clock) are the relay's. @default 5000 */
  relayAfterMs?: number
  /** Rows one relay round publishes at most. @default 500 */
  relayBatch?: number
  /** How long to wait before trying again while the broker takes nothing. @default 1000 */
  retryMs?: number
}

export interface Outbox {
  /**
   * Hands over rows that were just committed, in commit order. They are
   * published right after (on the next turn of the event loop) and marked
   * sent. Rows of this process leave in the order they were handed over: should
   * one fail to publish, or wait too long, the later ones wait too, and all of
   * them go out through the relay, in order, before the fast path resumes.
   */
  publishCommitted(rows: OutboxRow[]): void
  /**
   * A transaction writing rows may have committed without them being handed
   * over (its COMMIT went unanswered): the rows handed over from now on go out
   * through the database, in id order, after any such row, not ahead of it.
   */
  holdBack(): void
  /** One relay round: republishes rows left unsent by any process (a crash between commit and publish); resolves with how many. */
  relayOnce(): Promise<number>
  /** Rows not yet confirmed by the broker, whoever wrote them. */
  backlog(): Promise<number>
  /** Rows handed to this process's fast path and not yet confirmed. */
  pending(): number
  /** Resolves once at most `limit` rows are pending: a worker waits on it before taking more work. */
  room(limit: number): Promise<void>
  /** Deletes inbox rows and sent outbox rows older than `retentionMs` (by the database's clock). */
  prune(retentionMs: number): Promise<{ inbox: number; outbox: number }>
  /**
   * Resolves once every row handed over so far is published and marked sent,
   * or, after `close`, once one attempt failed: what is left is the relay's.
   */
  idle(): Promise<void>
  /** No more retrying while the broker takes nothing: for shutdown. */
  close(): void
}

const MARK_SENT_EVERY_MS = 100
const MARK_SENT_BATCH = 1_000

/** The database's clock `ms` ago. */
const ago = (ms: number) => sql`now() - make_interval(secs => ${ms / 1000})`

interface Handed extends OutboxRow {
  /** When it was handed over (this process's clock). */
  at: number
}

export function createOutbox<C extends Catalogue>(o: OutboxOptions<C>): Outbox {
  const { outbox, inbox } = o.tables
  const log = o.logger ?? silentLogger
  const relayAfterMs = o.relayAfterMs ?? 5_000
  const relayBatch = o.relayBatch ?? 500
  const retryMs = o.retryMs ?? 1_000
  /** A row handed over longer ago than this is not published by the fast path: it may be the relay's already. */
  const freshForMs = relayAfterMs / 2

  /** Rows handed over and not yet confirmed, oldest first; the first ones may be in flight. */
  let queue: Handed[] = []
  /**
   * Set when a row could not go out by the fast path: the queue then drains
   * through the database, in order. Set at first too: what a process hands
   * over first follows every row its service left unsent before (a worker that
   * died between commit and publish), so a restarted worker never overtakes
   * its predecessor's events.
   */
  let stalled = true
  /** Times holdBack was called: a catch-up under way when it is called does not end the stall. */
  let holds = 0
  /** Whether the fast path stalled on a failure (said in the log when it resumes). */
  let failed = false
  let closed = false
  let draining: Promise<void> | undefined
  const waitingForRoom: { limit: number; resolve: () => void }[] = []
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

  /** One statement text for any number of rows: prepared once. */
  async function markSent(db: Pick<Database, 'execute'>, ids: number[]) {
    await db.execute(sql`update ${outbox} set sent_at = now() where id = any(${sql.param(ids)}::bigint[])`)
  }

  /**
   * Publishes the rows in order (the writes are pipelined on one channel) and
   * resolves with how many, from the first, the broker confirmed before the
   * first that failed, and that failure. Rows were validated when written: a
   * row must not block the relay because the catalogue changed since.
   */
  async function publishInOrder(rows: { envelope: Envelope }[]): Promise<{ confirmed: number; error?: unknown }> {
    const settled = await Promise.allSettled(rows.map((r) => o.publisher.publishEnvelope(r.envelope, { validated: true })))
    const failed = settled.findIndex((s) => s.status === 'rejected')
    if (failed < 0) return { confirmed: rows.length }
    return { confirmed: failed, error: (settled[failed] as PromiseRejectedResult).reason }
  }

  function releaseRoom() {
    for (const w of [...waitingForRoom]) {
      if (queue.length <= w.limit) {
        waitingForRoom.splice(waitingForRoom.indexOf(w), 1)
        w.resolve()
      }
    }
  }

  /** Publishes the queue by the fast path: everything handed over so far, in one pipelined run. */
  async function fastPath() {
    const batch = queue.slice()
    const done = await publishInOrder(batch)
    for (const r of batch.slice(0, done.confirmed)) confirmed.push(r.id)
    queue = queue.slice(done.confirmed)
    if (confirmed.length >= MARK_SENT_BATCH) await flushSent()
    else if (confirmed.length > 0) markTimer ??= setTimeout(() => void flushSent(), MARK_SENT_EVERY_MS)
    if (done.error !== undefined) {
      stalled = failed = true
      log.warn('outbox publish failed; this worker\'s events go out through the relay, in order, until it has caught up', { rows: queue.length, error: describe(done.error) })
    }
  }

  /**
   * Publishes, through the database and in id order, every unsent row up to
   * the newest one handed over (rows of other processes among them, which
   * their consumers dedupe), then takes them off the queue.
   */
  async function catchUp() {
    const upTo = queue.at(-1)!.id
    const heldBefore = holds
    await flushSent()
    for (;;) {
      const done = await o.db.transaction(async (tx) => {
        const rows = await tx
          .select({ id: outbox.id, envelope: outbox.envelope })
          .from(outbox)
          .where(and(isNull(outbox.sentAt), lte(outbox.id, upTo)))
          .orderBy(asc(outbox.id))
          .limit(relayBatch)
          .for('update')
        return { ...(await publishAndMark(tx, rows as { id: number; envelope: Envelope }[])), read: rows.length }
      })
      if (done.error !== undefined) throw done.error
      if (done.read < relayBatch) break
    }
    // What is still unsent of the queue: a row handed over while this ran, committed after the rows were read, stays for the next round.
    const held = queue.map((r) => r.id)
    const unsent = new Set((await o.db.select({ id: outbox.id }).from(outbox).where(and(isNull(outbox.sentAt), sql`${outbox.id} = any(${sql.param(held)}::bigint[])`))).map((r) => r.id))
    const asked = new Set(held)
    queue = queue.filter((r) => !asked.has(r.id) || unsent.has(r.id))
    // Everything up to the newest row handed over before is out: what was handed over since follows it, by the fast path.
    // A row held back meanwhile may be newer than upTo: the next rows wait for another round.
    if (!queue.some((r) => r.id <= upTo) && holds === heldBefore) {
      stalled = false
      if (failed) log.info('outbox caught up; events go out at once again')
      failed = false
    }
  }

  /**
   * Publishes rows in order and marks sent, in the caller's transaction, those
   * confirmed before the first failure, which it answers with (for the caller
   * to throw once that transaction committed).
   */
  async function publishAndMark(tx: Pick<Database, 'execute'>, rows: { id: number; envelope: Envelope }[]): Promise<{ sent: number; error?: unknown }> {
    const done = await publishInOrder(rows)
    if (done.confirmed > 0) await markSent(tx, rows.slice(0, done.confirmed).map((r) => r.id))
    return { sent: done.confirmed, ...(done.error !== undefined ? { error: done.error } : {}) }
  }

  /** The single runner of the fast path: one pass at a time, in order. */
  function drain(): Promise<void> {
    draining ??= (async () => {
      try {
        while (queue.length > 0) {
          if (!stalled && Date.now() - queue[0]!.at > freshForMs) {
            stalled = failed = true
            log.warn('outbox rows waited too long for the fast path; they go out through the relay, in order', { rows: queue.length })
          }
          try {
            if (stalled) await catchUp()
            else await fastPath()
          } catch (err) {
            log.warn('outbox could not publish; trying again', { rows: queue.length, error: describe(err) })
            if (closed) break
            await new Promise((r) => setTimeout(r, retryMs))
          }
          if (closed && stalled) break
          releaseRoom()
        }
      } finally {
        draining = undefined
        releaseRoom()
      }
    })()
    return draining
  }

  /** Rows this process holds in its queue: the relay leaves them to it. */
  const notHeld = (): SQL => (queue.length > 0 ? sql`not (${outbox.id} = any(${sql.param(queue.map((r) => r.id))}::bigint[]))` : sql`true`)

  return {
    publishCommitted(rows) {
      if (rows.length === 0) return
      const at = Date.now()
      for (const r of rows) queue.push({ ...r, at })
      // Replies and acks go first, the events right after them.
      setImmediate(() => void drain())
    },

    holdBack() {
      holds++
      if (stalled) return
      stalled = failed = true
      log.warn('a commit went unanswered; this worker\'s events go out through the relay, in order, until it has caught up')
    },

    async relayOnce() {
      const due = and(isNull(outbox.sentAt), lt(outbox.createdAt, ago(relayAfterMs)), notHeld())
      const done = await o.db.transaction(async (tx) => {
        // Replicas share the relay by the oldest due row: whoever locks it relays the next batch, in
        // order; the others skip it and find that the row they locked instead is not the oldest.
        const [mine] = await tx.select({ id: outbox.id }).from(outbox).where(due).orderBy(asc(outbox.id)).limit(1).for('update', { skipLocked: true })
        if (!mine) return { sent: 0 }
        const [oldest] = await tx.select({ id: min(outbox.id) }).from(outbox).where(due)
        if (oldest?.id !== mine.id) return { sent: 0 }
        const rows = await tx.select({ id: outbox.id, envelope: outbox.envelope }).from(outbox).where(due).orderBy(asc(outbox.id)).limit(relayBatch).for('update')
        return publishAndMark(tx, rows as { id: number; envelope: Envelope }[])
      })
      if (done.sent > 0) log.info('outbox relayed unsent events', { count: done.sent })
      if (done.error !== undefined) throw done.error
      return done.sent
    },

    async backlog() {
      const [row] = await o.db.select({ n: count() }).from(outbox).where(isNull(outbox.sentAt))
      return row?.n ?? 0
    },

    pending: () => queue.length,

    room(limit) {
      if (closed || queue.length <= limit) return Promise.resolve()
      return new Promise((resolve) => waitingForRoom.push({ limit, resolve }))
    },

    async prune(retentionMs) {
      const prunedInbox = await o.db.delete(inbox).where(lt(inbox.receivedAt, ago(retentionMs))).returning({ id: inbox.messageId })
      const prunedOutbox = await o.db.delete(outbox).where(and(isNotNull(outbox.sentAt), lt(outbox.sentAt, ago(retentionMs)))).returning({ id: outbox.id })
      return { inbox: prunedInbox.length, outbox: prunedOutbox.length }
    },

    async idle() {
      // The rows handed over on this turn of the event loop are published on the next.
      await new Promise((r) => setImmediate(r))
      if (queue.length > 0) void drain()
      while (draining) await draining
      await flushSent()
    },

    close() {
      closed = true
      // Nothing waits for room any more: what the broker does not take now is the next relay's.
      for (const w of waitingForRoom.splice(0)) w.resolve()
    },
  }
}
