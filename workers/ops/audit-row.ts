import { Buffer } from 'node:buffer'
import type { AsyncMessage } from 'rabbitmq-client'
import { HEADER, type Envelope } from '../../core/index.ts'
import type { auditEvents } from '../../schemas/db/ops.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Ids one row keeps at most for the search by entity: a payload of thousands of ids is still kept, its first ids searchable. */
export const MAX_ENTITY_IDS = 1_000

/** Every UUID among the string values of `value`, at any depth, in lower case, each once, in the order met. */
export function entityIds(value: unknown): string[] {
  const found = new Set<string>()
  const visit = (v: unknown) => {
    if (found.size >= MAX_ENTITY_IDS) return
    if (typeof v === 'string') {
      if (UUID.test(v)) found.add(v.toLowerCase())
    } else if (Array.isArray(v)) v.forEach(visit)
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(visit)
  }
  visit(value)
  return [...found]
}

/** Headers a message gains on its way through retries, dead letters and replays: not what its producer sent. */
const ACQUIRED = new Set<string>([...Object.values(HEADER), 'x-medtrack-replay', 'x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason', 'x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason', 'x-delivery-count'])

/** The body exactly as its producer sent it, as JSON (readAnyEvent has found it an envelope). */
function published(body: unknown): unknown {
  if (body instanceof Uint8Array) return JSON.parse(Buffer.from(body).toString('utf8'))
  if (typeof body === 'string') return JSON.parse(body)
  return body
}

/**
 * The audit row of an event as it arrived: its headers as its producer sent
 * them, its routing key the one it was published with. A message that came
 * back through a retry or a replay (it carries their headers) was sent on to
 * a queue by name, its first routing key lost: it is kept under its type, the
 * routing key every event is published with.
 */
export function auditRow(event: Envelope, message: AsyncMessage): typeof auditEvents.$inferInsert {
  const { body, deliveryTag: _d, consumerTag: _c, redelivered: _r, exchange: _e, routingKey, headers, ...properties } = message
  const names = Object.keys(headers ?? {})
  const sent = Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => !ACQUIRED.has(name)))
  return {
    eventId: event.event_id,
    type: event.event_type,
    producer: event.service,
    correlationId: event.correlation_id,
    causationId: event.causation_id,
    occurredAt: new Date(event.timestamp),
    routingKey: names.some((name) => ACQUIRED.has(name)) ? event.event_type : routingKey,
    envelope: published(body),
    headers: { ...properties, headers: sent },
    entityIds: entityIds(event.payload),
  }
}
