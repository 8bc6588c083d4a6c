import { opsTokenVersions, auditEvents } from '../../schemas/db/ops.ts'
import type { EventContext, EveryEventHandler } from '../kit/define.ts'
import { validator } from '../kit/pipeline.ts'
import { tokenVersionHandlers } from '../kit/token-versions.ts'
import { auditRow } from './audit-row.ts'

const tokenVersions = tokenVersionHandlers(opsTokenVersions) as Record<string, (event: unknown, ctx: EventContext) => Promise<void>>

/**
 * Every event into the audit trail, whatever its type or payload, in one
 * statement per batch; one kept already (an event published twice) is left
 * as it is. The account events among them, when valid, also keep ops's token
 * versions, for the ops API to refuse retired tokens.
 */
export const keepEvents: EveryEventHandler = {
  async batch(events, { tx, log }) {
    await tx
      .insert(auditEvents)
      .values(events.map(({ event, message }) => auditRow(event, message)))
      .onConflictDoNothing({ target: auditEvents.eventId })
    for (const { event, emit, attempt } of events) {
      const handler = Object.hasOwn(tokenVersions, event.event_type) ? tokenVersions[event.event_type] : undefined
      if (handler && validator.check(event.event_type, event.payload).length === 0) await handler(event, { tx, emit, log, messageId: event.event_id, attempt })
    }
  },
}
