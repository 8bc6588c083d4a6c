import { eq } from 'drizzle-orm'
import { notFound } from '../../../core/index.ts'
import { encadrants } from '../../../schemas/db/profile.ts'
import type { CommandHandlers } from '../../kit/define.ts'

/** Deletes the encadrant; 404 when there is none. The catalogue has no event for it. */
export const deleteEncadrant: NonNullable<CommandHandlers['profile.delete_encadrant']> = async ({ payload }, { tx }) => {
  const [row] = await tx.delete(encadrants).where(eq(encadrants.id, payload.encadrant_id)).returning({ id: encadrants.id })
  if (!row) throw notFound('encadrant')
  return { status: 200, body: { id: row.id, deleted: true } }
}
