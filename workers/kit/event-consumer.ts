import { createEventConsumer, type EventHandler, type QueueConsumer, type WorkItem } from '../../core/index.ts'
import { catalogue } from '../../schemas/events/index.ts'
import type { ConsumerPiece } from './consumer-piece.ts'
import type { Catalogue, EventHandlers } from './define.ts'
import { validator } from './pipeline.ts'
import { about, applyAlone, isBatched, togetherFor } from './together.ts'

/**
 * Consumes the service's events queue: each event of a type with a handler,
 * valid against the catalogue, is applied through the pipeline (its inbox
 * row, its handler, its events, in one transaction with those that arrived
 * with it); a batch handler is given the events of its type together. An
 * event of a type without a handler is acked as unhandled.
 */
export async function consumeEvents(handlers: EventHandlers, o: ConsumerPiece): Promise<QueueConsumer> {
  const { resources, pipeline } = o
  const byType: Record<string, EventHandler> = {}
  for (const [type, handler] of Object.entries(handlers)) {
    const together = isBatched(handler) ? togetherFor(handler, o.log) : undefined
    const one = handler as (event: unknown, ctx: unknown) => Promise<void>
    byType[type] = async (event, ctx) => {
      const item: WorkItem<Catalogue> = about(
        {
          consumer: 'events',
          messageId: ctx.messageId,
          correlationId: event.correlation_id,
          redelivered: ctx.redelivered,
          together,
          apply: (tx, emit) => (together ? applyAlone(together, item, tx, emit) : one(event, { tx, emit, log: ctx.log, messageId: ctx.messageId, attempt: ctx.attempt })),
        },
        { event },
      )
      await pipeline.apply(item)
    }
  }
  return createEventConsumer({
    connection: resources.connection,
    catalogue,
    validator,
    service: resources.service,
    namespace: resources.topology.namespace,
    handlers: byType,
    topology: { retryTiers: resources.tiers, commands: resources.topology.commands },
    prefetch: o.config.PREFETCH,
    concurrency: o.config.PREFETCH,
    logger: o.log,
    onOutcome: o.onOutcome,
  })
}
