import { and, count, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm'
import { DomainError, notFound, type Database } from '../../../core/index.ts'
import { auditEvents } from '../../../schemas/db/ops.ts'
import { readPage, type PageRequest } from '../../kit/paging.ts'
import type { AuditView } from './model.ts'

export type AuditRow = typeof auditEvents.$inferSelect

/** An audited event as the API shows it: the envelope's fields, its payload, and how it travelled. */
export function auditView(e: AuditRow): AuditView {
  return {
    event_id: e.eventId,
    type: e.type,
    producer: e.producer,
    correlation_id: e.correlationId,
    causation_id: e.causationId,
    occurred_at: e.occurredAt.toISOString(),
    received_at: e.receivedAt.toISOString(),
    routing_key: e.routingKey,
    payload: (e.envelope as { payload?: unknown }).payload ?? null,
    headers: e.headers,
  }
}

export interface EventFilter extends PageRequest {
  type?: string
  producer?: string
  /** Any id the payload holds, at any depth. */
  entity_id?: string
  correlation_id?: string
  /** ISO 8601; received at or after. */
  since?: string
  /** ISO 8601; received at or before. */
  until?: string
}

/**
 * The search by entity: the payload's ids are an array with a GIN index,
 * which `@>` uses (one holding this id); an unnest would read every row.
 * The ids are kept in lower case: an id pasted in upper case is the same.
 */
export const holdsEntity = (id: string): SQL => sql`${auditEvents.entityIds} @> array[${id.toLowerCase()}]::text[]`

/** The filter's conditions; a time range ending before it begins is refused (422). */
export function eventConditions(q: EventFilter): SQL | undefined {
  const since = q.since === undefined ? undefined : new Date(q.since)
  const until = q.until === undefined ? undefined : new Date(q.until)
  if (since && until && since > until) throw new DomainError(422, 'VALIDATION_FAILED', 'invalid query', [{ path: '/query/until', message: 'must not be before since' }])
  const filters: SQL[] = []
  if (q.type) filters.push(eq(auditEvents.type, q.type))
  if (q.producer) filters.push(eq(auditEvents.producer, q.producer))
  if (q.correlation_id) filters.push(eq(auditEvents.correlationId, q.correlation_id))
  if (q.entity_id) filters.push(holdsEntity(q.entity_id))
  if (since) filters.push(gte(auditEvents.receivedAt, since))
  if (until) filters.push(lte(auditEvents.receivedAt, until))
  return filters.length > 0 ? and(...filters) : undefined
}

/** The audited events the filter names, newest first, one page of them. */
export function searchEvents(db: Database, q: EventFilter) {
  const where = eventConditions(q)
  return readPage(
    q,
    async (limit, offset) => (await db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.id)).limit(limit).offset(offset)).map(auditView),
    async () => (await db.select({ total: count() }).from(auditEvents).where(where))[0]?.total ?? 0,
  )
}

/** One audited event by its id (404 when none is). */
export async function getEvent(db: Database, id: string) {
  const [row] = await db.select().from(auditEvents).where(eq(auditEvents.eventId, id))
  if (!row) throw notFound('event')
  return auditView(row)
}
