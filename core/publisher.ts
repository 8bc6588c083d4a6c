import { Buffer } from 'node:buffer'
import type { Static } from '@sinclair/typebox'
import type { Connection, Publisher } from 'rabbitmq-client'
import { compileCatalogue, type Catalogue, type PayloadValidator } from './catalogue.ts'
import { sendConfirmed } from './confirm.ts'
import { assertValid, buildEnvelope, envelopeFieldProblems, type Envelope } from './envelope.ts'
import { Names } from './topology.ts'

export interface PublisherOptions<C extends Catalogue> {
  connection: Connection
  catalogue: C
  /** Producer named in each envelope's `service`, e.g. `profile` → `profile-service`. */
  service: string
  /** @default '' */
  namespace?: string
  /** How long to wait for the broker's confirm before failing with PublishTimeoutError. @default 5000 */
  confirmTimeoutMs?: number
  /** A validator compiled from `catalogue`, when the caller already has one. */
  validator?: PayloadValidator
  /**
   * How many times a publish is sent before it fails. An outbox wants 1: it
   * sends again itself, in order, where a retry here would follow later messages.
   * @default 3
   */
  maxAttempts?: number
}

export interface PublishOptions {
  /** @default a new UUIDv4 */
  eventId?: string
  /** @default the event id: this event starts a new cascade */
  correlationId?: string | null
  causationId?: string | null
}

export interface EventPublisher<C extends Catalogue> {
  /**
   * Validates, wraps in an envelope and publishes a persistent event to the
   * events exchange. Resolves with the envelope once the broker confirmed;
   * rejects with a ValidationError before anything is sent, or with a
   * transient error when the broker cannot confirm in time.
   */
  publish<T extends keyof C & string>(type: T, payload: Static<C[T]['payload']>, options?: PublishOptions): Promise<Envelope>
  /** Publishes an envelope built earlier (an outbox row, a replay), validating it first unless it already was. */
  publishEnvelope(envelope: Envelope, options?: { validated?: boolean }): Promise<void>
  /** Waits for pending confirms and closes the channel. */
  close(): Promise<void>
}

/** The AMQP properties of an event message (docs/events.md, Wire format). */
function eventProperties(exchange: string, envelope: Envelope) {
  return {
    exchange,
    routingKey: envelope.event_type,
    messageId: envelope.event_id,
    type: envelope.event_type,
    contentType: 'application/json',
    durable: true,
    timestamp: Math.floor(Date.parse(envelope.timestamp) / 1000),
    ...(envelope.correlation_id ? { correlationId: envelope.correlation_id } : {}),
  }
}

export function createPublisher<C extends Catalogue>(o: PublisherOptions<C>): EventPublisher<C> {
  const validator = o.validator ?? compileCatalogue(o.catalogue)
  const exchange = new Names(o.namespace).events
  const timeoutMs = o.confirmTimeoutMs ?? 5_000
  const service = o.service.endsWith('-service') ? o.service : `${o.service}-service`
  const publisher: Publisher = o.connection.createPublisher({ confirm: true, maxAttempts: o.maxAttempts ?? 3 })

  async function publishEnvelope(envelope: Envelope, options: { validated?: boolean } = {}): Promise<void> {
    // The envelope's own fields too (an empty correlation id, say): consumers would refuse it.
    if (!options.validated) assertValid(validator, envelope, envelopeFieldProblems(envelope))
    const body = Buffer.from(JSON.stringify(envelope), 'utf8')
    await sendConfirmed(publisher, eventProperties(exchange, envelope), body, timeoutMs)
  }

  return {
    async publish(type, payload, options = {}) {
      const def = o.catalogue[type]
      const envelope = buildEnvelope({
        type,
        payload: payload as Record<string, unknown>,
        version: def?.version ?? 'unknown',
        service,
        eventId: options.eventId,
        correlationId: options.correlationId,
        causationId: options.causationId,
      })
      await publishEnvelope(envelope)
      return envelope
    },
    publishEnvelope,
    close: () => publisher.close(),
  }
}
