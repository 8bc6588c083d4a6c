import { eq } from 'drizzle-orm'
import { TransientError } from '../../../core/index.ts'
import { commEncadrants } from '../../../schemas/db/comm.ts'
import type { EventHandlers } from '../../kit/define.ts'

/**
 * Keeps the encadrant's account and establishment when the update carries
 * them (`establishment_id: null` detaches them; absent, it stays). An update
 * of those for an encadrant comm has not met yet is retried: their
 * `encadrant.created` is still on its way. An update of anything else is
 * nothing comm keeps.
 */
export const encadrantUpdated: NonNullable<EventHandlers['encadrant.updated']> = async (event, { tx }) => {
  const { encadrant_id, user_id, establishment_id } = event.payload
  const changes = {
    ...(user_id !== undefined ? { userId: user_id } : {}),
    ...(establishment_id !== undefined ? { establishmentId: establishment_id } : {}),
  }
  if (Object.keys(changes).length === 0) return
  const updated = await tx
    .update(commEncadrants)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(commEncadrants.encadrantId, encadrant_id))
    .returning({ encadrantId: commEncadrants.encadrantId })
  if (updated.length === 0) throw new TransientError('ENCADRANT_UNKNOWN', `encadrant ${encadrant_id} is not known yet`)
}
