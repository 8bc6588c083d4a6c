import { asc, eq, inArray } from 'drizzle-orm'
import { DomainError, type Database } from '../../../core/index.ts'
import { auditEvents } from '../../../schemas/db/ops.ts'
import type { AuditRow } from '../events/read.ts'
import { consumersOf, type AppliedOptions } from './consumers.ts'
import { causationTree } from './tree.ts'

/** The most events one lineage shows: a cascade is a handful; past this it is cut, and says so (`truncated`). */
export const MAX_LINEAGE_EVENTS = 2_000

const firstWhere = async (db: Database, where: ReturnType<typeof eq>) => (await db.select().from(auditEvents).where(where).limit(1))[0]

type Found = { correlation: string; event?: AuditRow } | { correlation: null; event: AuditRow }

/** The correlation an audited event belongs to; null when its producer left it out. */
const foundBy = (event: AuditRow): Found => (event.correlationId === null ? { correlation: null, event } : { correlation: event.correlationId, event })

/**
 * The correlation id `id` belongs to: the correlation of the event of that id,
 * the id itself when events carry it as their correlation, or the correlation
 * of the events a command of that id caused. Undefined when nothing audited
 * knows it.
 */
async function namedBy(db: Database, id: string): Promise<Found | undefined> {
  const event = await firstWhere(db, eq(auditEvents.eventId, id))
  if (event) return foundBy(event)
  if (await firstWhere(db, eq(auditEvents.correlationId, id))) return { correlation: id }
  const caused = await firstWhere(db, eq(auditEvents.causationId, id))
  return caused && foundBy(caused)
}

/**
 * The cascade `id` belongs to. A null correlation comes with an event of a
 * cascade whose producer left the correlation out; what the workers emit in
 * answer to such an event carries that event's id as its correlation, and
 * belongs to the same cascade.
 */
async function cascadeOf(db: Database, id: string): Promise<Found | undefined> {
  const found = await namedBy(db, id)
  if (!found || found.correlation === null) return found
  const head = found.event?.eventId === found.correlation ? found.event : await firstWhere(db, eq(auditEvents.eventId, found.correlation))
  return head?.correlationId === null ? { correlation: null, event: head } : found
}

/**
 * Where a cascade without a correlation id begins: up the causes of `row`
 * while they are audited events without a correlation, the command that
 * caused the first (its id), or that event itself when nothing caused it.
 */
async function originOf(db: Database, row: AuditRow): Promise<string> {
  const seen = new Set([row.eventId])
  let current = row
  while (current.causationId !== null && !seen.has(current.causationId)) {
    const cause = await firstWhere(db, eq(auditEvents.eventId, current.causationId))
    if (!cause) return current.causationId
    if (cause.correlationId !== null) break
    seen.add(cause.eventId)
    current = cause
  }
  return current.eventId
}

/**
 * The events of a cascade that has no correlation id to gather them by: the
 * event `origin` (when it is one), then what it caused, and what that caused,
 * in the order they were kept, at most `limit`.
 */
async function causedFrom(db: Database, origin: string, limit: number): Promise<AuditRow[]> {
  const out = await db.select().from(auditEvents).where(eq(auditEvents.eventId, origin))
  const seen = new Set([origin])
  let causes = [origin]
  while (causes.length > 0 && out.length < limit) {
    const rows = (await db.select().from(auditEvents).where(inArray(auditEvents.causationId, causes)).orderBy(asc(auditEvents.id)).limit(limit - out.length)).filter((r) => !seen.has(r.eventId))
    for (const r of rows) seen.add(r.eventId)
    out.push(...rows)
    causes = rows.map((r) => r.eventId)
  }
  return out.slice(0, limit)
}

/** Nothing audited knows the id (404). */
const notAudited = () => new DomainError(404, 'NOT_FOUND', 'nothing in the audit trail has this id: no event has it as its id, its cause or its correlation id (a command is known by the events it caused)')

/** The audited events outside the cascade that caused one of its events (a cascade another one set off). */
async function outsideCauses(db: Database, cascade: AuditRow[]): Promise<AuditRow[]> {
  const inside = new Set(cascade.map((r) => r.eventId))
  const missing = [...new Set(cascade.map((r) => r.causationId).filter((c): c is string => c !== null && !inside.has(c)))]
  return missing.length === 0 ? [] : db.select().from(auditEvents).where(inArray(auditEvents.eventId, missing))
}

/**
 * The causation tree of the cascade `id` names (an event id, a command id or
 * a correlation id), each node with the services that applied it, as their
 * workers tell; the workers that could not be asked are `unreachable`. 404
 * when nothing audited knows the id.
 */
export async function lineage(db: Database, id: string, workers: AppliedOptions) {
  const found = await cascadeOf(db, id)
  if (!found) throw notAudited()
  const cascade =
    found.correlation === null
      ? await causedFrom(db, await originOf(db, found.event), MAX_LINEAGE_EVENTS + 1)
      : await db.select().from(auditEvents).where(eq(auditEvents.correlationId, found.correlation)).orderBy(asc(auditEvents.id)).limit(MAX_LINEAGE_EVENTS + 1)
  const truncated = cascade.length > MAX_LINEAGE_EVENTS
  const shown = cascade.slice(0, MAX_LINEAGE_EVENTS)
  const { roots, nodes } = causationTree(shown, await outsideCauses(db, shown))
  const { consumers, unreachable } = await consumersOf(nodes.map((n) => n.id), workers)
  for (const node of nodes) node.consumers = consumers.get(node.id) ?? []
  return { id, correlation_id: found.correlation, roots, unreachable, ...(truncated ? { truncated: true } : {}) }
}
