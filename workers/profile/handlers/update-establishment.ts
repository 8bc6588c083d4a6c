import { eq } from 'drizzle-orm'
import { notFound } from '../../../core/index.ts'
import { establishments } from '../../../schemas/db/profile.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { changes, type Editable } from '../changes.ts'
import { establishmentView, type EstablishmentRow } from '../../../schemas/views/profile.ts'

const EDITABLE: Editable<EstablishmentRow> = { name: 'name', city: 'city', address: 'address', phone: 'phone' }

/** Applies a partial update. The catalogue has no `establishment.updated`, so nothing is emitted. */
export const updateEstablishment: NonNullable<CommandHandlers['profile.update_establishment']> = async ({ payload }, { tx }) => {
  const [row] = await tx.select().from(establishments).where(eq(establishments.id, payload.establishment_id)).for('update')
  if (!row) throw notFound('establishment')
  const { set, names } = changes(row, payload.fields, EDITABLE)
  if (names.length === 0) return { status: 200, body: establishmentView(row) }
  const [updated] = await tx.update(establishments).set({ ...set, updatedAt: new Date() }).where(eq(establishments.id, row.id)).returning()
  return { status: 200, body: establishmentView(updated!) }
}
