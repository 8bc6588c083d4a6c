import type { Static } from '@sinclair/typebox'
import type { Connection } from 'rabbitmq-client'
import { compileCatalogue, type Catalogue, type PayloadValidator } from './catalogue.ts'
import { assertValid, parseEnvelope, type Envelope } from './envelope.ts'
import { silentLogger, type Logger } from './logger.ts'
import { ValidationError } from './errors.ts'
import { createQueueConsumer, type Outcome, type QueueConsumer } from './queue-consumer.ts'
import { declareTopology, Names, olderQueueWarning, type TopologyOptions } from './topology.ts'
import type { AsyncMessage } from 'rabbitmq-client'

export interface HandlerContext {
  /** The event id: the key an inbox dedupes on. */
  messageId: string
  /** 1 on first delivery, one more per retry. */
  attempt: number
  /** The broker delivered it before (to a consumer that went away): it may have been applied already. */
  redelivered: boolean
  /** Logger bound to this event's correlation id. */
  log: Logger
}

export type EventHandler<P = Record<string, unknown>> = (event: Envelope<P>, ctx: HandlerContext) => unknown

export type EventHandlers<C extends Catalogue> = { [T in keyof C]?: EventHandler<Static<C[T]['payload']>> }

export interface EventConsumerOptions<C extends Catalogue> {
  connection: Connection
  catalogue: C
  /** The service whose `S.events` queue is consumed. */
  service: string
  handlers: EventHandlers<C>
  /** @default '' */
  namespace?: string
  /** Topology to declare before consuming; bindings default to EVENT_BINDINGS. */
  topology?: Omit<TopologyOptions, 'namespace' | 'services'>
  /** @default 32 */
  prefetch?: number
  /** @default prefetch / 2 */
  concurrency?: number
  /** @default 5000 */
  confirmTimeoutMs?: number
  logger?: Logger
  validator?: PayloadValidator
  onOutcome?(outcome: Outcome, message: AsyncMessage, durationMs: number): void
}

/**
 * Declares the service's topology, then consumes its events queue: parse →
 * validate against the catalogue → dispatch by type → ack. An event without a
 * handler is acked and counted as `unhandled`; an invalid one, or one that
 * names no type at all, is dead-lettered.
 */
export async function createEventConsumer<C extends Catalogue>(o: EventConsumerOptions<C>): Promise<QueueConsumer> {
  const validator = o.validator ?? compileCatalogue(o.catalogue)
  const log = o.logger ?? silentLogger
  const topo = { ...o.topology, namespace: o.namespace, services: [o.service] }
  const declared = await declareTopology(o.connection, { ...topo, onOlderQueue: olderQueueWarning(log) })
  const queue = new Names(o.namespace).eventQueue(o.service)
  const spec = declared.queues.find((q) => q.queue === queue)
  const handlers = o.handlers as Record<string, EventHandler | undefined>

  return createQueueConsumer({
    connection: o.connection,
    service: o.service,
    queue,
    queueArguments: spec?.arguments,
    namespace: o.namespace,
    retryTiers: o.topology?.retryTiers,
    prefetch: o.prefetch,
    concurrency: o.concurrency,
    confirmTimeoutMs: o.confirmTimeoutMs,
    logger: log,
    onOutcome: o.onOutcome,
    async process({ message, attempt }) {
      const { envelope, problems } = parseEnvelope(message.body, message)
      // A message that names no event type fails its schema, whoever gets it: dead-lettered, not dropped.
      if (typeof envelope.event_type !== 'string' || envelope.event_type === '') {
        const named = problems.filter((p) => p.path === '/event_type')
        throw new ValidationError('the message names no event type', named.length > 0 ? named : [{ path: '/event_type', message: 'must be the event type, a non-empty string' }])
      }
      // The catalogue's own types only: `constructor` names no handler.
      const handler = Object.hasOwn(handlers, envelope.event_type) ? handlers[envelope.event_type] : undefined
      if (!handler) return 'unhandled'
      assertValid(validator, envelope, problems)
      const ctx = { messageId: envelope.event_id, attempt, redelivered: message.redelivered === true, log: log.child({ correlation_id: envelope.correlation_id, event_id: envelope.event_id }) }
      await handler(envelope, ctx)
      return 'handled'
    },
  })
}
