import { inArray } from 'drizzle-orm'
import { isMessageId, type Database, type Problem } from '../../core/index.ts'
import type { RuntimeTables } from '../../schemas/db/runtime.ts'

/** Ids one `/applied` asks about at most. */
export const APPLIED_MAX_IDS = 500

/** One message the inbox holds: which consumer applied it, and when. */
export interface AppliedMessage {
  message_id: string
  consumer: string
  received_at: string
}

/**
 * The ids of `?ids=a&ids=b…`, each parameter one message id as it is (commas
 * and all: an id may hold them), or what is wrong with them (at `/query/ids`).
 * Empty parameters are no ids.
 */
export function appliedIds(params: string[]): { ids: string[] } | { problem: Problem } {
  const ids = [...new Set(params.filter((id) => id !== ''))]
  const at = (message: string) => ({ problem: { path: '/query/ids', message } })
  if (ids.length === 0) return at('is required: one `ids` parameter for each message id')
  if (ids.length > APPLIED_MAX_IDS) return at(`must name at most ${APPLIED_MAX_IDS} ids (${ids.length} given)`)
  if (!ids.every(isMessageId)) return at('each id must be at most 200 characters, without control characters')
  return { ids }
}

/** The inbox rows of `ids`: the messages this service applied, each once per consumer that did. */
export async function appliedMessages(db: Database, tables: RuntimeTables, ids: string[]): Promise<AppliedMessage[]> {
  const { inbox } = tables
  const rows = await db.select().from(inbox).where(inArray(inbox.messageId, ids)).orderBy(inbox.receivedAt)
  return rows.map((r) => ({ message_id: r.messageId, consumer: r.consumer, received_at: r.receivedAt.toISOString() }))
}
