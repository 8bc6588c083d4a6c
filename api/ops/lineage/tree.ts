import type { AuditRow } from '../events/read.ts'
import type { Consumer } from './consumers.ts'

/** One step of a cascade: an audited event, or the command that caused one. */
export interface LineageNode {
  id: string
  kind: 'event' | 'command'
  type: string | null
  producer: string | null
  /** When an event occurred; null for a command, whose time is not audited. */
  occurred_at: string | null
  consumers: Consumer[]
  children: LineageNode[]
}

/**
 * The type of the command that caused an event, when the event says it: a
 * `causation_type` in its envelope or an `x-medtrack-causation-type` header.
 */
function causationTypeOf(row: AuditRow): string | null {
  const headers = row.headers as { headers?: Record<string, unknown> } & Record<string, unknown>
  const said = (row.envelope as Record<string, unknown>).causation_type ?? headers.headers?.['x-medtrack-causation-type'] ?? headers['x-medtrack-causation-type']
  return typeof said === 'string' && said !== '' ? said : null
}

const eventNode = (row: AuditRow): LineageNode => ({
  id: row.eventId,
  kind: 'event',
  type: row.type,
  producer: row.producer,
  occurred_at: row.occurredAt.toISOString(),
  consumers: [],
  children: [],
})

/** A command as its events tell it: sent by its service's API (a command type is `S.verb_noun`). */
const commandNode = (id: string, type: string | null): LineageNode => ({
  id,
  kind: 'command',
  type,
  producer: type ? `${type.split('.')[0]}-api` : null,
  occurred_at: null,
  consumers: [],
  children: [],
})

/**
 * The causation tree of a cascade's events (`cascade`), and of the events
 * outside it that caused one of them (`causes`, audited under another
 * correlation): each event under the event that caused it; an event caused by
 * something not audited under the command of that id; an event caused by
 * nothing at the root. Children are in the order they occurred. A causation
 * that loops (a message naming itself as its cause) is cut where the loop
 * closes, the node it reached becoming a root: every event appears once.
 */
export function causationTree(cascade: AuditRow[], causes: AuditRow[] = []): { roots: LineageNode[]; nodes: LineageNode[] } {
  const rows = [...cascade, ...causes].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.id - b.id)
  const events = new Map(rows.map((r) => [r.eventId, eventNode(r)]))
  const commands = new Map<string, LineageNode>()
  const parentOf = new Map<LineageNode, LineageNode>()
  const roots: LineageNode[] = []
  for (const row of rows) {
    const node = events.get(row.eventId)!
    const cause = row.causationId
    if (cause === null) {
      roots.push(node)
      continue
    }
    let parent = events.get(cause)
    if (!parent) {
      parent = commands.get(cause)
      if (!parent) {
        commands.set(cause, (parent = commandNode(cause, causationTypeOf(row))))
        roots.push(parent)
      }
      parent.type ??= causationTypeOf(row)
      parent.producer ??= parent.type ? `${parent.type.split('.')[0]}-api` : null
    }
    parent.children.push(node)
    parentOf.set(node, parent)
  }
  const reached = new Set<LineageNode>()
  const reach = (n: LineageNode): void => {
    if (reached.has(n)) return
    reached.add(n)
    n.children.forEach(reach)
  }
  roots.forEach(reach)
  for (const node of events.values()) {
    if (reached.has(node)) continue
    const parent = parentOf.get(node)!
    parent.children.splice(parent.children.indexOf(node), 1)
    roots.push(node)
    reach(node)
  }
  return { roots, nodes: [...events.values(), ...commands.values()] }
}
