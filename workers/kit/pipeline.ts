import { CommitUnknownError, compileCatalogue, createBatcher, createOutbox, createPublisher, createUnitOfWork, type Logger, type Outbox, type WorkItem, type WorkOutcome } from '../../core/index.ts'
import type { RuntimeTables } from '../../schemas/db/runtime.ts'
import { catalogue } from '../../schemas/events/index.ts'
import type { WorkerConfig } from './config.ts'
import type { Catalogue } from './define.ts'
import type { Metrics } from './metrics.ts'
import type { WorkerResources } from './resources.ts'

export const validator = compileCatalogue(catalogue)

/** How an item that applied ended: applied now, or found in the inbox (its stored result with it). */
export type Applied = Exclude<WorkOutcome, { kind: 'failed' }>

export interface ApplyPipeline {
  /**
   * Applies the item with those that arrive with it, in one transaction
   * (inbox, handlers, outbox, command result); resolves after commit, rejects
   * with what made it fail. The events it emitted are published right after.
   */
  apply(item: WorkItem<Catalogue>): Promise<Applied>
  outbox: Outbox
  /** Stops waiting on the broker: from now on the outbox tries once, and nothing waits for it. */
  stopWaiting(): void
  /** Resolves once no batch is waiting or running. */
  idle(): Promise<void>
  /** One more try for what was committed (the rest is the next relay's), then closes the publisher. */
  close(): Promise<void>
}

export type PipelineConfig = Pick<WorkerConfig, 'PREFETCH' | 'BATCH_CONCURRENCY' | 'OUTBOX_MAX_PENDING' | 'RELAY_AFTER_MS'>

/**
 * The way every message (and every background unit of work) is applied:
 * items that arrive together form a batch of at most PREFETCH, at most
 * BATCH_CONCURRENCY run at once (the events queue's one at a time, in the
 * order they came), each one unit of work, and the events it committed leave
 * through the outbox right after. While the broker confirms less than is
 * committed (OUTBOX_MAX_PENDING), no batch starts.
 */
export function createApplyPipeline(o: { resources: WorkerResources; tables: RuntimeTables; config: PipelineConfig; metrics: Metrics; log: Logger }): ApplyPipeline {
  const { db, connection, service, topology } = o.resources
  const publisher = createPublisher({ connection, catalogue, service, namespace: topology.namespace, validator, maxAttempts: 1 })
  const outbox = createOutbox({ db, tables: o.tables, publisher, logger: o.log, relayAfterMs: o.config.RELAY_AFTER_MS })
  const uow = createUnitOfWork({ db, tables: o.tables, catalogue, validator, service })
  const batchSize = o.metrics.histogram('medtrack_batch_size', 'Messages applied per transaction.', [1, 2, 5, 10, 20, 50, 100, 200, 500])
  o.metrics.gauge('medtrack_outbox_backlog', 'Outbox events not yet confirmed by the broker.', () => outbox.backlog())
  const batcher = createBatcher<WorkItem<Catalogue>, WorkOutcome>({
    maxSize: o.config.PREFETCH,
    maxConcurrent: o.config.BATCH_CONCURRENCY,
    // A queue's events are applied in the order they came, one batch at a time: a later event applied
    // first (a student's deletion before their creation) would make the earlier one change nothing.
    orderKey: (item) => (item.consumer === 'events' ? item.consumer : undefined),
    async run(items) {
      // While the broker confirms less than is committed, no more is taken: the messages wait unacked, and the broker sends no more.
      await outbox.room(o.config.OUTBOX_MAX_PENDING)
      batchSize({}, items.length)
      const { outcomes, committed } = await uow.run(items)
      // Events a transaction may have committed without handing them over come out first, through the database.
      if (outcomes.some((x) => x.kind === 'failed' && x.error instanceof CommitUnknownError)) outbox.holdBack()
      // Replies and acks go first, the events right after them, in the same write (BrokerConnection).
      outbox.publishCommitted(committed)
      return outcomes
    },
  })

  return {
    async apply(item) {
      const outcome = await batcher.submit(item)
      if (outcome.kind === 'failed') throw outcome.error
      return outcome
    },
    outbox,
    stopWaiting: () => outbox.close(),
    idle: () => batcher.idle(),
    async close() {
      await outbox.idle()
      await publisher.close()
    },
  }
}
