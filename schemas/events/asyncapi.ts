/** The catalogue as an AsyncAPI 3.0.0 document: what `bun run catalogue` prints. */
import type { TSchema } from '@sinclair/typebox'
import type { Catalogue } from '../../core/catalogue.ts'

export interface AsyncApiOptions {
  /** Topic exchange every event is published to. @default 'medtrack.events' */
  exchange?: string
  /** The broker, as in `RABBITMQ_URL`; credentials are never copied into the document. @default 'amqp://127.0.0.1:5672' */
  serverUrl?: string
  /** `info.version` of the document. @default '1.0.0' */
  version?: string
}

type Json = Record<string, unknown>

const AMQP_BINDING_VERSION = '0.3.0'

/**
 * One channel, message and `send` operation per event type, each keyed by the
 * event type (the routing key). A message's payload is the whole envelope of
 * the wire format (docs/events.md) with the event's payload schema under `payload`.
 */
export function asyncApiDocument(catalogue: Catalogue, options: AsyncApiOptions = {}): Json {
  const exchange = options.exchange ?? 'medtrack.events'
  const channels: Json = {}
  const operations: Json = {}
  const messages: Json = {}
  const schemas: Json = {}

  for (const [type, def] of Object.entries(catalogue)) {
    const schemaName = pascalCase(type)
    const producers = def.producer.join(', ')
    schemas[schemaName] = plainJsonSchema(def.payload)
    messages[type] = {
      name: type,
      title: type,
      summary: def.description,
      contentType: 'application/json',
      correlationId: { location: '$message.payload#/correlation_id' },
      payload: envelopeSchema(type, def.version, `#/components/schemas/${schemaName}`),
      bindings: { amqp: { messageType: type, bindingVersion: AMQP_BINDING_VERSION } },
      'x-version': def.version,
    }
    channels[type] = {
      address: type,
      title: type,
      description: def.description,
      messages: { [type]: { $ref: `#/components/messages/${type}` } },
      bindings: {
        amqp: {
          is: 'routingKey',
          exchange: { name: exchange, type: 'topic', durable: true, autoDelete: false, vhost: '/' },
          bindingVersion: AMQP_BINDING_VERSION,
        },
      },
    }
    operations[type] = {
      action: 'send',
      title: `Publish ${type}`,
      summary: def.description,
      description: `Producers: ${producers}. Published from the producer's outbox with publisher confirms.`,
      channel: { $ref: `#/channels/${type}` },
      messages: [{ $ref: `#/channels/${type}/messages/${type}` }],
      bindings: { amqp: { deliveryMode: 2, bindingVersion: AMQP_BINDING_VERSION } },
      'x-producers': [...def.producer],
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'MedTrack events',
      version: options.version ?? '1.0.0',
      description:
        `Every event of MedTrack, published to the topic exchange \`${exchange}\` with the event type as routing key. ` +
        'Payloads allow extra fields: producers may add, consumers ignore.',
    },
    defaultContentType: 'application/json',
    servers: { rabbitmq: amqpServer(options.serverUrl ?? 'amqp://127.0.0.1:5672') },
    channels,
    operations,
    components: { messages, schemas },
  }
}

/** `user.password_changed` → `UserPasswordChanged`, the name of its TypeBox schema. */
function pascalCase(type: string): string {
  return type
    .split(/[._-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')
}

/** A TypeBox schema is JSON Schema plus symbol keys; the JSON round-trip drops them. */
function plainJsonSchema(schema: TSchema): Json {
  return JSON.parse(JSON.stringify(schema)) as Json
}

function envelopeSchema(type: string, version: string, payloadRef: string): Json {
  return {
    type: 'object',
    description: `The envelope of \`${type}\`. Older publishers omit event_id, correlation_id and causation_id.`,
    required: ['event_type', 'version', 'service', 'timestamp', 'payload'],
    properties: {
      event_id: { type: 'string', format: 'uuid', description: 'Unique per event; the AMQP messageId carries the same value.' },
      event_type: { type: 'string', const: type },
      version: { type: 'string', const: version, description: 'Version of the payload schema.' },
      service: { type: 'string', minLength: 1, description: 'The producing service, e.g. profile-service.' },
      timestamp: { type: 'string', format: 'date-time' },
      correlation_id: { type: 'string', description: 'From the HTTP request that started the cascade.' },
      causation_id: {
        type: ['string', 'null'],
        description: 'The event_id or command_id that caused this event, or null.',
      },
      payload: { $ref: payloadRef },
    },
  }
}

/** The server object of an AMQP URL, without its credentials; a vhost becomes the pathname. */
function amqpServer(serverUrl: string): Json {
  const url = new URL(serverUrl)
  return {
    host: url.host,
    protocol: url.protocol.replace(/:$/, ''),
    protocolVersion: '0.9.1',
    ...(url.pathname && url.pathname !== '/' ? { pathname: url.pathname } : {}),
    description: 'The RabbitMQ broker.',
  }
}
