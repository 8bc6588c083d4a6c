import { sql } from 'drizzle-orm'
import { commEncadrants } from '../../../schemas/db/comm.ts'
import type { EventHandlers } from '../../kit/define.ts'

/**
 * Remembers the encadrant's account, establishment and email address; the
 * same encadrant created again changes nothing (updates do), but for an
 * address comm did not keep yet (a row from before it kept them), filled in.
 */
export const encadrantCreated: NonNullable<EventHandlers['encadrant.created']> = async (event, { tx }) => {
  const { encadrant_id, user_id, establishment_id, email } = event.payload
  await tx.insert(commEncadrants).values({ encadrantId: encadrant_id, userId: user_id, establishmentId: establishment_id ?? null, email }).onConflictDoUpdate({ target: commEncadrants.encadrantId, set: { email: sql`coalesce(${commEncadrants.email}, excluded.email)` } })
}
