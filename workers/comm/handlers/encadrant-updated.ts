import { Value } from '@sinclair/typebox/value'
import { eq } from 'drizzle-orm'
import { TransientError } from '../../../core/index.ts'
import { commEncadrants } from '../../../schemas/db/comm.ts'
import { Email } from '../../../schemas/events/fields.ts'
import type { EventHandlers } from '../../kit/define.ts'

/**
 * Keeps the encadrant's account, establishment and email address when the
 * update carries them (`establishment_id: null` detaches them; absent, it
 * stays; the address is an extra payload field most updates lack). An update
 * of those for an encadrant comm has not met yet is retried: their
 * `encadrant.created` is still on its way. An update of anything else is
 * nothing comm keeps.
 */
export const encadrantUpdated: NonNullable<EventHandlers['encadrant.updated']> = async (event, { tx }) => {
  const { encadrant_id, user_id, establishment_id } = event.payload
  const email = (event.payload as Record<string, unknown>).email
  const changes = {
    ...(Value.Check(Email, email) ? { email } : {}),
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
