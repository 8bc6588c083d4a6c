import { createQueueConsumer, readAnyEvent, type QueueConsumer, type WorkItem } from '../../core/index.ts'
import { queueOptions, type ConsumerPiece } from './consumer-piece.ts'
import type { Catalogue, EveryEventHandler } from './define.ts'
import { about, applyAlone, togetherFor } from './together.ts'

/**
 * Consumes the service's events queue handing every event to one batch
 * handler, whatever its type, known to the catalogue or not, its payload
 * valid or not: the handler is given the events that arrived together, each
 * with the message it came in (routing key, headers, properties), through
 * the pipeline (inbox first: a redelivered event is not given again). A
 * message that is no event envelope at all is dead-lettered with the reason.
 */
export function consumeEveryEvent(handler: EveryEventHandler, o: ConsumerPiece): QueueConsumer {
  const { resources, pipeline } = o
  const together = togetherFor(handler, o.log)
  const queue = resources.names.eventQueue(resources.service)
  return createQueueConsumer({
    ...queueOptions(o, queue),
    async process({ message, attempt }) {
      const event = readAnyEvent(message)
      const item: WorkItem<Catalogue> = about(
        {
          consumer: 'events',
          messageId: event.event_id,
          correlationId: event.correlation_id,
          redelivered: message.redelivered === true,
          together,
          apply: (tx, emit) => applyAlone(together, item, tx, emit),
        },
        { event, message, attempt },
      )
      await pipeline.apply(item)
      return 'handled'
    },
  })
}
