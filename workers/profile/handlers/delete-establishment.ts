import { eq } from 'drizzle-orm'
import { notFound } from '../../../core/index.ts'
import { encadrants, establishments } from '../../../schemas/db/profile.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { establishmentInUse, guardEstablishmentKey } from '../establishment-check.ts'

/** Deletes the establishment; 404 when there is none, 409 while encadrants still belong to it. No event exists for it. */
export const deleteEstablishment: NonNullable<CommandHandlers['profile.delete_establishment']> = async ({ payload }, { tx }) => {
  const [row] = await tx.select({ id: establishments.id }).from(establishments).where(eq(establishments.id, payload.establishment_id)).for('update')
  if (!row) throw notFound('establishment')
  const members = await tx.$count(encadrants, eq(encadrants.establishmentId, row.id))
  if (members > 0) throw establishmentInUse(members)
  await guardEstablishmentKey(() => tx.delete(establishments).where(eq(establishments.id, row.id)), establishmentInUse)
  return { status: 200, body: { id: row.id, deleted: true } }
}
