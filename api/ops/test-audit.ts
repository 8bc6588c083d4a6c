import { auditEvents } from '../../schemas/db/ops.ts'
import type { Database } from '../../core/index.ts'
import { entityIds } from '../../workers/ops/audit-row.ts'

/** What a test says of an audited event; the rest is made up plausibly. */
export interface AuditedEvent {
  type: string
  eventId?: string
  producer?: string
  correlationId?: string | null
  causationId?: string | null
  occurredAt?: Date
  receivedAt?: Date
  payload?: Record<string, unknown>
  /** Every id the payload holds; @default what the ops worker finds in it (its uuids, at any depth) */
  entityIds?: string[]
  headers?: Record<string, unknown>
  /** Fields of the envelope beyond the usual ones. */
  envelope?: Record<string, unknown>
}

/** Keeps events in the audit trail as the ops worker would, in this order (ids ascending); resolves with their rows. */
export async function audit(db: Database, events: AuditedEvent[]) {
  const rows = events.map((e) => {
    const eventId = e.eventId ?? crypto.randomUUID()
    const occurredAt = e.occurredAt ?? new Date()
    const producer = e.producer ?? `${e.type.split('.')[0]}-service`
    const payload = e.payload ?? {}
    const envelope = { event_id: eventId, event_type: e.type, version: '1.0', service: producer, timestamp: occurredAt.toISOString(), correlation_id: e.correlationId ?? null, causation_id: e.causationId ?? null, payload, ...e.envelope }
    return {
      eventId,
      type: e.type,
      producer,
      correlationId: e.correlationId ?? null,
      causationId: e.causationId ?? null,
      occurredAt,
      ...(e.receivedAt ? { receivedAt: e.receivedAt } : {}),
      routingKey: e.type,
      envelope,
      headers: e.headers ?? { messageId: eventId, type: e.type, contentType: 'application/json' },
      entityIds: e.entityIds ?? entityIds(payload),
    }
  })
  return db.insert(auditEvents).values(rows).returning()
}
