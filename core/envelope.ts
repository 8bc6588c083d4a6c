import { Buffer } from 'node:buffer'
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { problemsOf, type PayloadValidator } from './catalogue.ts'
import { PermanentError, ValidationError, type Problem } from './errors.ts'
import { newId, uuidV5 } from './ids.ts'
import { depthProblem, jsonText } from './json.ts'

/**
 * A message id (`event_id`, `command_id`) or a correlation id as consumers
 * accept it: what an inbox can index and a payload can carry, at most 200
 * characters and no control characters (a NUL cannot be stored at all). A
 * message whose id is otherwise is refused on its own, before it joins a batch.
 */
export const MessageId = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]+$' })

const NullableId = Type.Union([MessageId, Type.Null()])

const messageIdCheck = TypeCompiler.Compile(MessageId)
/** Whether `id` is one consumers accept as a message id. */
export const isMessageId = (id: string): boolean => messageIdCheck.Check(id)

/** The event envelope on the wire (docs/events.md, Wire format); a superset of the first services' envelope. */
export const Envelope = Type.Object({
  event_id: MessageId,
  event_type: Type.String({ minLength: 1 }),
  version: Type.String({ minLength: 1 }),
  service: Type.String({ minLength: 1 }),
  timestamp: Type.String({ format: 'date-time' }),
  correlation_id: NullableId,
  causation_id: NullableId,
  payload: Type.Record(Type.String(), Type.Unknown()),
})
export type Envelope<P = Record<string, unknown>> = Omit<Static<typeof Envelope>, 'payload'> & { payload: P }

const envelopeCheck = TypeCompiler.Compile(Envelope)

export interface BuildOptions {
  type: string
  payload: Record<string, unknown>
  version: string
  service: string
  /** @default a new UUIDv4 */
  eventId?: string
  correlationId?: string | null
  causationId?: string | null
  /** @default new Date() */
  now?: Date
}

export function buildEnvelope(o: BuildOptions): Envelope {
  const eventId = o.eventId ?? newId()
  return {
    event_id: eventId,
    event_type: o.type,
    version: o.version,
    service: o.service,
    timestamp: (o.now ?? new Date()).toISOString(),
    correlation_id: o.correlationId ?? eventId,
    causation_id: o.causationId ?? null,
    payload: o.payload,
  }
}

/** AMQP properties that can stand in for missing envelope fields. */
export interface WireProperties {
  messageId?: string
  correlationId?: string
  /** Seconds since the epoch, as AMQP carries it. */
  timestamp?: number
  type?: string
}

/** The bytes of a message body as a consumer received it (JSON bodies are re-serialised canonically). */
export function bodyBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  return Buffer.from(jsonText(body), 'utf8')
}

/**
 * Reads an envelope from a delivered body, filling what older publishers leave
 * out: `event_id` is the AMQP messageId, else a UUIDv5 of the body bytes, so
 * redeliveries of the same bytes share an id. Throws a permanent error when the
 * body is not a JSON object or nests deeper than MAX_JSON_DEPTH; schema
 * problems are returned, not thrown.
 */
export function parseEnvelope(body: unknown, props: WireProperties = {}): { envelope: Envelope; problems: Problem[] } {
  const data = decodeBody(body)
  const deep = depthProblem(data)
  if (deep) throw new ValidationError('the message nests too deeply', [deep])
  const raw = data as Record<string, unknown>
  const envelope = {
    ...raw,
    timestamp: utcTimestamp(raw.timestamp ?? (props.timestamp !== undefined ? new Date(props.timestamp * 1000).toISOString() : undefined)),
    event_id: raw.event_id ?? props.messageId ?? uuidV5(bodyBytes(body)),
    event_type: raw.event_type ?? props.type,
    correlation_id: raw.correlation_id ?? props.correlationId ?? null,
    causation_id: raw.causation_id ?? null,
  } as Envelope
  const problems = envelopeCheck.Check(envelope) ? [] : problemsOf(envelopeCheck, envelope)
  return { envelope, problems }
}

const NAIVE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(\.\d+)?)$/

/**
 * A timestamp as RFC 3339: one with no offset (Python's `datetime.utcnow().isoformat()`,
 * `2026-12-01T21:38:36.169812`, or `str()` of it with a space) is UTC and gets its `Z`;
 * anything else is left for the schema to judge.
 */
export function utcTimestamp(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const naive = NAIVE_TIME.exec(value)
  return naive ? `${naive[1]}T${naive[2]}Z` : value
}

/**
 * The id and type a message is known by, whatever it holds, as consumers
 * read them: the body's `event_id` or `command_id`, else the AMQP messageId,
 * else a UUIDv5 of its bytes; the body's `event_type` or `command_type`, else
 * the AMQP type. For tools that name messages
 * (dead letters) the way consumers do.
 */
export function messageIdentity(body: unknown, props: WireProperties = {}): { id: string; type: string | undefined } {
  let data: unknown = body
  try {
    data = decodeBody(body)
  } catch {
    data = undefined
  }
  const field = (name: string) => {
    const value = (data as Record<string, unknown> | undefined)?.[name]
    return typeof value === 'string' && value !== '' ? value : undefined
  }
  return {
    id: field('event_id') || field('command_id') || props.messageId || uuidV5(bodyBytes(body ?? '')),
    type: field('event_type') || field('command_type') || props.type,
  }
}

function decodeBody(body: unknown): object {
  let data = body
  if (body instanceof Uint8Array || typeof body === 'string') {
    const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8')
    try {
      data = JSON.parse(text)
    } catch (cause) {
      throw new PermanentError('NOT_JSON', 'message body is not JSON', { cause })
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new PermanentError('NOT_AN_OBJECT', 'message body is not a JSON object')
  }
  return data
}

/** Every problem of an envelope and its payload against the catalogue. */
export function envelopeProblems(validator: PayloadValidator, envelope: Envelope, parsed: Problem[] = []): Problem[] {
  if (typeof envelope.event_type !== 'string') return parsed
  const envelopeOnly = parsed.filter((p) => !p.path.startsWith('/payload'))
  return [...envelopeOnly, ...validator.check(envelope.event_type, envelope.payload)]
}

/** What is wrong with the envelope's own fields (not its payload): none for a valid one. */
export function envelopeFieldProblems(envelope: Envelope): Problem[] {
  return envelopeCheck.Check(envelope) ? [] : problemsOf(envelopeCheck, envelope)
}

/** Throws a ValidationError naming every problem; returns the envelope when valid. */
export function assertValid(validator: PayloadValidator, envelope: Envelope, parsed: Problem[] = []): Envelope {
  const problems = envelopeProblems(validator, envelope, parsed)
  if (problems.length > 0) throw new ValidationError(`invalid ${envelope.event_type ?? 'event'}`, problems)
  return envelope
}
