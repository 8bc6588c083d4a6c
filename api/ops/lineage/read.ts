import { asc, eq, inArray } from 'drizzle-orm'
import { notFound, type Database } from '../../../core/index.ts'
import { auditEvents } from '../../../schemas/db/ops.ts'
import type { AuditRow } from '../events/read.ts'
import { consumersOf, type AppliedOptions } from './consumers.ts'
import { causationTree } from './tree.ts'

/** The most events one lineage shows: a cascade is a handful; past this it is cut, and says so (`truncated`). */
export const MAX_LINEAGE_EVENTS = 2_000

const firstWhere = async (db: Database, where: ReturnType<typeof eq>) => (await db.select().from(auditEvents).where(where).limit(1))[0]

/**
 * The correlation id `id` belongs to: the correlation of the event of that id,
 * the id itself when events carry it as their correlation, or the correlation
 * of the events a command of that id caused. Undefined when nothing audited
 * knows it. An event without a correlation is a cascade of its own.
 */
async function correlationOf(db: Database, id: string): Promise<{ correlation: string | null; event?: AuditRow } | undefined> {
  const event = await firstWhere(db, eq(auditEvents.eventId, id))
  if (event) return { correlation: event.correlationId, event }
  if (await firstWhere(db, eq(auditEvents.correlationId, id))) return { correlation: id }
  const caused = await firstWhere(db, eq(auditEvents.causationId, id))
  return caused ? { correlation: caused.correlationId, event: caused } : undefined
}

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
  const found = await correlationOf(db, id)
  if (!found) throw notFound('event, command or correlation')
  const cascade =
    found.correlation === null
      ? [found.event!]
      : await db.select().from(auditEvents).where(eq(auditEvents.correlationId, found.correlation)).orderBy(asc(auditEvents.id)).limit(MAX_LINEAGE_EVENTS + 1)
  const truncated = cascade.length > MAX_LINEAGE_EVENTS
  const shown = cascade.slice(0, MAX_LINEAGE_EVENTS)
  const { roots, nodes } = causationTree(shown, await outsideCauses(db, shown))
  const { consumers, unreachable } = await consumersOf(nodes.map((n) => n.id), workers)
  for (const node of nodes) node.consumers = consumers.get(node.id) ?? []
  return { id, correlation_id: found.correlation, roots, unreachable, ...(truncated ? { truncated: true } : {}) }
}
