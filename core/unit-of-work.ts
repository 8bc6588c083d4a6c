import type { Static } from '@sinclair/typebox'
import { inArray, sql, type SQL } from 'drizzle-orm'
import { getTableConfig } from 'drizzle-orm/pg-core'
import type { RuntimeTables } from '../schemas/db/runtime.ts'
import type { Catalogue, PayloadValidator } from './catalogue.ts'
import { AtCommit, sendAhead, type Database } from './db.ts'
import { assertValid, buildEnvelope, type Envelope } from './envelope.ts'
import { classify, DomainError, lostToAnotherTransaction } from './errors.ts'

export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0]

/** Appends an event to the outbox of the running transaction; it is published after commit. */
export type Emit<C extends Catalogue> = <T extends keyof C & string>(type: T, payload: Static<C[T]['payload']>) => Envelope

/** What a command handler answers: the HTTP status and body the caller gets. */
export interface CommandResult {
  status: number
  body: unknown
}

/** A command's answer as stored, and replayed to duplicates. */
export interface StoredResult extends CommandResult {
  outcome: 'succeeded' | 'failed'
}

export interface WorkItem<C extends Catalogue> {
  /** Which consumer the inbox records the message for, e.g. `events` or `commands`. */
  consumer: string
  messageId: string
  correlationId: string | null
  /** Set for commands: their result (or domain error) is stored and answers duplicates. */
  commandType?: string
  /** For commands: the user who sent it, stored with the result. */
  actorId?: string | null
  /** Applies the message inside the transaction; a command returns its result. */
  apply(tx: Tx, emit: Emit<C>): Promise<CommandResult | void>
  /** Set when items like this one may be applied together, by one call for many. */
  together?: TogetherApply<C>
  /** The broker delivered it before: it may have been applied already. */
  redelivered?: boolean
}

/**
 * Applies many items at once (one statement for all of them, say). Items of a
 * batch that follow one another with the same `together` are given to one
 * call; it answers one entry per item, in order: a command's result, or the
 * DomainError that refuses it, in which case nothing of that item was done.
 * Should the call fail, each of its items is applied on its own instead.
 */
export interface TogetherApply<C extends Catalogue> {
  apply(tx: Tx, items: { item: WorkItem<C>; emit: Emit<C> }[]): Promise<(CommandResult | void | DomainError)[]>
}

export type WorkOutcome =
  | { kind: 'applied'; stored?: StoredResult }
  | { kind: 'duplicate'; stored?: StoredResult }
  | { kind: 'failed'; error: unknown }

export interface OutboxRow {
  id: number
  envelope: Envelope
}

export interface UnitOfWork<C extends Catalogue> {
  /**
   * Applies the items in one transaction: each message id is recorded in the
   * inbox first (already there: a duplicate, skipped, with its stored result),
   * each new one applied, its events appended to the outbox, its command
   * result stored. Unless a message was delivered before, the items are
   * applied without waiting for the inbox's answer; should it name one seen
   * before, nothing is kept and the transaction is made again, waiting. A
   * failing item is taken out and the rest applied again without it, so one
   * bad message never holds the others back. Resolves after commit with one
   * outcome per item and the outbox rows to publish.
   */
  run(items: WorkItem<C>[]): Promise<{ outcomes: WorkOutcome[]; committed: OutboxRow[] }>
}

export interface UnitOfWorkOptions<C extends Catalogue> {
  db: Database
  tables: RuntimeTables
  catalogue: C
  validator: PayloadValidator
  /** Producer named in emitted envelopes, e.g. `profile`. */
  service: string
}

class ItemFailure extends Error {
  constructor(
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super('item failed')
  }
}

/** Items applied together failed: the attempt is undone, and made again item by item. */
class GroupFailure extends Error {}

/** How many times in a row a batch is made again after PostgreSQL undid it for another transaction; then its items fail (and are retried later). */
const REDO_LIMIT = 3

/** An optimistic attempt applied a message the inbox had seen before: it is undone, and made again inbox first. */
class SeenBefore extends Error {}

function failedResult(err: DomainError): StoredResult {
  return { outcome: 'failed', status: err.status, body: { error: err.code, message: err.message, ...(err.problems.length ? { problems: err.problems } : {}) } }
}

export function createUnitOfWork<C extends Catalogue>(o: UnitOfWorkOptions<C>): UnitOfWork<C> {
  const { inbox, commandResults } = o.tables
  // The schema's functions for the statements sent with values written in (a migration's).
  const schema = getTableConfig(inbox).schema
  const recordInbox = sql.raw(`"${schema}".record_inbox`)
  const commitTail = sql.raw(`"${schema}".commit_tail`)
  const service = `${o.service}-service`
  const key = (consumer: string, id: string) => `${consumer}\0${id}`

  function emitter(item: WorkItem<C>, into: Envelope[]): Emit<C> {
    return (type, payload) => {
      const envelope = buildEnvelope({
        type,
        payload: payload as Record<string, unknown>,
        version: o.catalogue[type]?.version ?? 'unknown',
        service,
        correlationId: item.correlationId ?? item.messageId,
        causationId: item.messageId,
        ...(item.commandType ? { causationType: item.commandType } : {}),
      })
      assertValid(o.validator, envelope)
      into.push(envelope)
      return envelope
    }
  }

  /**
   * One transaction over the active items. With `grouped`, items that go
   * together are applied together; should such a call fail (GroupFailure),
   * the attempt is made again with each applied on its own.
   *
   * The message ids are recorded in the inbox first. With `optimistic`, the
   * items are applied without waiting for the inbox's answer: its statement
   * (unprepared, values written in) goes out with the BEGIN and the first
   * statement of the handlers, so the round trip is shared. Should the answer
   * say that one was seen before (a redelivery, a republished event), the
   * attempt is undone (SeenBefore) and made again the careful way.
   */
  async function attempt(items: WorkItem<C>[], active: number[], rejected: Map<number, DomainError>, grouped: boolean, optimistic: boolean) {
    const done = await o.db.transaction(async (tx) => {
      const arriving = JSON.stringify(active.map((i) => ({ consumer: items[i]!.consumer, message_id: items[i]!.messageId })))
      // One statement text for any batch size (rows travel as one JSON parameter), the schema's record_inbox.
      const record = sql`select consumer, message_id from ${recordInbox}(${arriving}::json)`
      const keysOf = (rows: { consumer: string; message_id: string }[]) => new Set(rows.map((r) => key(r.consumer, r.message_id)))
      let freshKeys: Set<string>
      /** Optimistic: whether the inbox's answer has any message as seen before. */
      let seenBefore = async () => false
      if (optimistic) {
        // Ahead of anything the handlers send, and not prepared: postgres.js, sending again a prepared
        // statement the server lost, hangs when other statements follow it.
        const recorded = sendAhead<{ consumer: string; message_id: string }>(tx, record).then(keysOf)
        recorded.catch(() => {})
        freshKeys = new Set(active.map((i) => key(items[i]!.consumer, items[i]!.messageId)))
        seenBefore = async () => {
          const answered = await recorded
          return [...freshKeys].some((k) => !answered.has(k))
        }
      } else {
        // Prepared, and alone in flight until it answers (see above).
        freshKeys = keysOf(await tx.execute<{ consumer: string; message_id: string }>(record))
      }
      const firstIndex = new Map<string, number>()
      const outcomes = new Map<number, WorkOutcome>()
      const emitted: Envelope[] = []
      // The body travels as text so that it is stored with the very bytes replayed later.
      const results: { command_id: string; command_type: string; actor_id: string | null; outcome: string; http_status: number; body: string }[] = []
      const earlierDuplicates: number[] = []

      const fresh = (k: string) => freshKeys.has(k) && !firstIndex.has(k)
      /** Applies the fresh items, in runs of those that go together. */
      async function applyAll() {
        for (let n = 0; n < active.length; ) {
          const i = active[n]!
          const item = items[i]!
          const k = key(item.consumer, item.messageId)
          const refusal = rejected.get(i)
          if (!fresh(k)) {
            if (!firstIndex.has(k)) earlierDuplicates.push(i)
            n++
            continue
          }
          // The items right after this one that go with it.
          const group = [i]
          const together = grouped && !refusal ? item.together : undefined
          if (together) {
            const keys = new Set([k])
            for (const j of active.slice(n + 1)) {
              const next = items[j]!
              const nextKey = key(next.consumer, next.messageId)
              if (next.together !== together || rejected.has(j) || keys.has(nextKey) || !fresh(nextKey)) break
              keys.add(nextKey)
              group.push(j)
            }
          }
          n += group.length
          for (const j of group) firstIndex.set(key(items[j]!.consumer, items[j]!.messageId), j)
          let answers: (CommandResult | void | DomainError)[]
          if (refusal) answers = [refusal]
          else {
            try {
              answers = together ? await together.apply(tx, group.map((j) => ({ item: items[j]!, emit: emitter(items[j]!, emitted) }))) : [await item.apply(tx, emitter(item, emitted))]
            } catch (err) {
              if (group.length > 1) throw new GroupFailure()
              throw new ItemFailure(i, err)
            }
          }
          for (const [x, j] of group.entries()) {
            const applied = items[j]!
            const answer = answers[x]
            let stored: StoredResult | undefined
            if (answer instanceof DomainError) {
              if (!applied.commandType) throw new ItemFailure(j, answer)
              stored = failedResult(answer)
            } else if (applied.commandType) {
              // A refusal answered rather than thrown (its work kept: a lockout's count, say) is a failure all the same.
              const status = answer?.status ?? 200
              stored = { outcome: status >= 400 ? 'failed' : 'succeeded', status, body: answer?.body ?? null }
            }
            if (applied.commandType && stored) results.push({ command_id: applied.messageId, command_type: applied.commandType, actor_id: applied.actorId ?? null, outcome: stored.outcome, http_status: stored.status, body: JSON.stringify(stored.body) })
            outcomes.set(j, { kind: 'applied', stored })
          }
        }
      }

      try {
        await applyAll()
      } catch (err) {
        // A handler that failed on a message seen before may have failed for having run twice.
        if (await seenBefore()) throw new SeenBefore()
        throw err
      }
      if (await seenBefore()) throw new SeenBefore()

      const storedById = new Map<string, StoredResult>()
      const lookup = earlierDuplicates.filter((i) => items[i]!.commandType).map((i) => items[i]!.messageId)
      if (lookup.length > 0) {
        const rows = await tx.select().from(commandResults).where(inArray(commandResults.commandId, lookup))
        for (const r of rows) storedById.set(r.commandId, { outcome: r.outcome as StoredResult['outcome'], status: r.httpStatus, body: r.body })
      }
      for (const i of active) {
        if (outcomes.has(i)) continue
        const item = items[i]!
        const first = firstIndex.get(key(item.consumer, item.messageId))
        const stored = first !== undefined ? (outcomes.get(first) as { stored?: StoredResult }).stored : storedById.get(item.messageId)
        outcomes.set(i, { kind: 'duplicate', stored })
      }

      // The results and the outbox go out with the COMMIT, in one round trip and one statement, the
      // schema's commit_tail (a migration's): its plans are the server's, made once.
      const json = (rows: unknown[]) => (rows.length > 0 ? JSON.stringify(rows) : null)
      const statements: SQL[] = emitted.length + results.length > 0 ? [sql`select id, event_id from ${commitTail}(${json(emitted)}::jsonb, ${json(results)}::json)`] : []
      return new AtCommit({ outcomes, emitted }, statements)
    })
    if (!done.rows) throw new Error('the transaction committed without its outbox and results')
    const byEventId = new Map(done.value.emitted.map((e) => [e.event_id, e]))
    const outboxIds = (done.rows[0] ?? []) as { id: string; event_id: string }[]
    const committed: OutboxRow[] = outboxIds.map((r) => ({ id: Number(r.id), envelope: byEventId.get(r.event_id)! })).sort((a, b) => a.id - b.id)
    return { outcomes: done.value.outcomes, committed }
  }

  /**
   * Applies the items of `indexes` in one transaction, taking out each that
   * fails. Should the transaction fail as a whole with data PostgreSQL
   * refuses (a message id too long for the inbox's index, a NUL in an emitted
   * payload), the items are split in two halves applied on their own, and so
   * on, until the culprit is alone: one bad message never fails the others.
   */
  async function runSome(items: WorkItem<C>[], indexes: number[], outcomes: WorkOutcome[]): Promise<OutboxRow[]> {
    const rejected = new Map<number, DomainError>()
    let active = indexes
    let grouped = true
    // A message the broker delivered before may well have been applied: no optimism for its batch.
    let optimistic = !indexes.some((i) => items[i]!.redelivered)
    let redone = 0
    while (active.length > 0) {
      try {
        const done = await attempt(items, active, rejected, grouped, optimistic)
        for (const [i, outcome] of done.outcomes) outcomes[i] = outcome
        return done.committed
      } catch (err) {
        if (err instanceof SeenBefore) {
          // What was refused then was refused with the messages seen before applied a second time.
          optimistic = false
          rejected.clear()
          continue
        }
        if (err instanceof GroupFailure) {
          grouped = false
          continue
        }
        // Undone by PostgreSQL for another transaction's sake (a deadlock between two batches, say): made again at once.
        if (lostToAnotherTransaction(err) && redone++ < REDO_LIMIT) continue
        if (!(err instanceof ItemFailure)) {
          if (active.length > 1 && classify(err) === 'permanent') {
            const half = Math.ceil(active.length / 2)
            const first = await runSome(items, active.slice(0, half), outcomes)
            return [...first, ...(await runSome(items, active.slice(half), outcomes))]
          }
          for (const i of active) outcomes[i] = { kind: 'failed', error: err }
          break
        }
        if (items[err.index]!.commandType && err.cause instanceof DomainError) rejected.set(err.index, err.cause)
        else {
          outcomes[err.index] = { kind: 'failed', error: err.cause }
          active = active.filter((i) => i !== err.index)
        }
      }
    }
    return []
  }

  return {
    async run(items) {
      const outcomes: WorkOutcome[] = new Array(items.length)
      const committed = await runSome(items, items.map((_, i) => i), outcomes)
      return { outcomes, committed }
    },
  }
}

