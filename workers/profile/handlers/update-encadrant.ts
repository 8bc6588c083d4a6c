import { eq } from 'drizzle-orm'
import { notFound } from '../../../core/index.ts'
import { encadrants } from '../../../schemas/db/profile.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { assertAdminOnly, assertOwnProfile, changes, type Editable } from '../changes.ts'
import { assertEstablishment, guardEstablishmentKey, unknownEstablishment } from '../establishment-check.ts'
import { encadrantView, type EncadrantRow } from '../../../schemas/views/profile.ts'

const EDITABLE: Editable<EncadrantRow> = {
  phone: 'phone',
  first_name: 'firstName',
  last_name: 'lastName',
  speciality: 'speciality',
  establishment_id: 'establishmentId',
}

/** What only an admin changes: an encadrant edits their own contact fields, not where they belong. */
const ADMIN_ONLY = ['establishment_id'] as const

/**
 * Applies a partial update; `encadrant.updated` names the fields that changed, and nothing is emitted
 * when none did. `establishment_id` (an admin's alone: 403 from anyone else) attaches the encadrant
 * to an establishment, `null` detaches them.
 */
export const updateEncadrant: NonNullable<CommandHandlers['profile.update_encadrant']> = async ({ payload, actor }, { tx, emit }) => {
  const [row] = await tx.select().from(encadrants).where(eq(encadrants.id, payload.encadrant_id)).for('update')
  if (!row) throw notFound('encadrant')
  assertOwnProfile(actor, row.userId)
  assertAdminOnly(actor, payload.fields, ADMIN_ONLY)
  const { set, names } = changes(row, payload.fields, EDITABLE)
  if (names.length === 0) return { status: 200, body: encadrantView(row) }
  if (set.establishmentId) await assertEstablishment(tx, set.establishmentId)
  const [updated] = await guardEstablishmentKey(
    () => tx.update(encadrants).set({ ...set, updatedAt: new Date() }).where(eq(encadrants.id, row.id)).returning(),
    unknownEstablishment,
  )
  emit('encadrant.updated', { encadrant_id: row.id, updated_fields: names, user_id: updated!.userId, establishment_id: updated!.establishmentId ?? null })
  return { status: 200, body: encadrantView(updated!) }
}
