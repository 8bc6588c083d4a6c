import { Buffer } from 'node:buffer'
import { ConsumerStatus, type AsyncMessage, type Connection, type Consumer, type Envelope as AmqpEnvelope, type Publisher } from 'rabbitmq-client'
import { sendConfirmed } from './confirm.ts'
import { bodyBytes, messageIdentity } from './envelope.ts'
import { describe } from './errors.ts'
import { HEADER, attemptsOf, routeFailure, type FailureRoute } from './failure.ts'
import { silentLogger, type Logger } from './logger.ts'
import { DEFAULT_RETRY_TIERS, Names } from './topology.ts'

export type Outcome = 'handled' | 'unhandled' | 'retried' | 'dead'

export interface Delivery {
  message: AsyncMessage
  /** 1 on first delivery, then one more for every retry. */
  attempt: number
  reply: (body: unknown, envelope?: AmqpEnvelope) => Promise<void>
}

export interface QueueConsumerOptions {
  connection: Connection
  /** Service owning the queue; its retry tiers and dead-letter queue are used. */
  service: string
  /** Full queue name (namespace included). */
  queue: string
  /** Arguments the queue was declared with, so it can be re-declared after a reconnect. */
  queueArguments?: Record<string, unknown>
  /** @default '' */
  namespace?: string
  /** @default DEFAULT_RETRY_TIERS */
  retryTiers?: readonly number[]
  /** Messages the broker may have in flight to this consumer. @default 32 */
  prefetch?: number
  /** Messages handled at once. @default 16 */
  concurrency?: number
  /** @default 5000 */
  confirmTimeoutMs?: number
  logger?: Logger
  /** Processes one delivery; resolves with `handled` or `unhandled`, throws to fail. */
  process(delivery: Delivery): Promise<'handled' | 'unhandled'>
  /** Called once per delivery with how it ended, for metrics. */
  onOutcome?(outcome: Outcome, message: AsyncMessage, durationMs: number): void
  /** Runs before a message goes to the dead-letter queue (e.g. to record that a command failed); if it fails, the message is retried later instead. */
  beforeDeadLetter?(message: AsyncMessage): Promise<void>
}

export interface QueueConsumer {
  /** Resolves once the consumer is subscribed. */
  ready: Promise<void>
  readonly stats: Record<Outcome, number>
  /** Stops taking messages, waits for the ones in hand to be settled and acked, closes. */
  close(): Promise<void>
}

/** Pause before handing a message back when even the retry queue cannot take it. */
const REQUEUE_PAUSE_MS = 1_000

/**
 * Consumes one queue: each delivery is processed and acked; a failure goes to
 * the retry tier its attempt count calls for, or to the dead-letter queue,
 * with the original body and properties and the `x-medtrack-*` headers. A
 * message is never requeued at once unless the broker refuses the retry itself.
 */
export function createQueueConsumer(o: QueueConsumerOptions): QueueConsumer {
  const names = new Names(o.namespace)
  const tiers = o.retryTiers ?? DEFAULT_RETRY_TIERS
  const log = o.logger ?? silentLogger
  const confirmTimeoutMs = o.confirmTimeoutMs ?? 5_000
  const stats: Record<Outcome, number> = { handled: 0, unhandled: 0, retried: 0, dead: 0 }
  const failures: Publisher = o.connection.createPublisher({ confirm: true, maxAttempts: 3 })

  async function forward(message: AsyncMessage, route: FailureRoute): Promise<void> {
    const { deliveryTag: _d, consumerTag: _c, redelivered: _r, exchange: _e, routingKey: _k, body, ...properties } = message
    const headers: Record<string, unknown> = {
      ...message.headers,
      [HEADER.attempts]: route.attempts,
      [HEADER.originalQueue]: o.queue,
      [HEADER.error]: route.error.slice(0, 1_000),
      [HEADER.errorClass]: route.errorClass,
      [HEADER.failedAt]: new Date().toISOString(),
    }
    const target = route.to === 'retry' ? names.retryQueue(o.service, route.delayMs) : names.deadQueue(o.service)
    const props = { ...properties, exchange: '', routingKey: target, headers, durable: true }
    await sendConfirmed(failures, props, bodyBytes(body ?? Buffer.alloc(0)), confirmTimeoutMs)
  }

  async function handle(message: AsyncMessage, reply: Delivery['reply']): Promise<ConsumerStatus> {
    const started = performance.now()
    const failedBefore = attemptsOf(message.headers)
    let outcome: Outcome
    try {
      outcome = await o.process({ message, attempt: failedBefore + 1, reply })
    } catch (err) {
      let route = routeFailure(err, failedBefore, tiers)
      try {
        if (route.to === 'dead') {
          try {
            await o.beforeDeadLetter?.(message)
          } catch (beforeErr) {
            // It cannot be set aside yet (the database is away, say): it comes back after a retry tier, not at once.
            const delayMs = tiers[Math.min(failedBefore, tiers.length - 1)]
            if (delayMs === undefined) throw beforeErr
            route = { to: 'retry', delayMs, attempts: route.attempts, errorClass: 'transient', error: `could not be set aside: ${describe(beforeErr)}; it failed with: ${route.error}` }
          }
        }
        await forward(message, route)
      } catch (forwardErr) {
        log.error('could not route a failed message; handing it back', { queue: o.queue, error: describe(forwardErr) })
        await new Promise((r) => setTimeout(r, REQUEUE_PAUSE_MS))
        return ConsumerStatus.REQUEUE
      }
      outcome = route.to === 'retry' ? 'retried' : 'dead'
      const { id, type } = messageIdentity(message.body, message)
      const fields = { queue: o.queue, message_id: id, type, attempts: route.attempts, error: route.error }
      if (outcome === 'dead') log.error('message dead-lettered', { ...fields, error_class: route.errorClass })
      else log.warn('message will be retried', { ...fields, delay_ms: route.to === 'retry' ? route.delayMs : 0 })
    }
    stats[outcome]++
    o.onOutcome?.(outcome, message, performance.now() - started)
    return ConsumerStatus.ACK
  }

  const prefetch = o.prefetch ?? 32
  const consumer: Consumer = o.connection.createConsumer(
    {
      queue: o.queue,
      queueOptions: { durable: true, arguments: o.queueArguments },
      qos: { prefetchCount: prefetch },
      concurrency: o.concurrency ?? Math.max(1, Math.floor(prefetch / 2)),
      requeue: true,
    },
    (message, reply) => handle(message, reply),
  )
  consumer.on('error', (err) => log.warn('consumer error', { queue: o.queue, error: describe(err) }))
  const ready = new Promise<void>((resolve) => consumer.once('ready', () => resolve()))

  return {
    ready,
    stats,
    async close() {
      await consumer.close()
      await failures.close()
    },
  }
}
