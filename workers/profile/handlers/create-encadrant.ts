import type { CommandHandlers } from '../../kit/define.ts'
import { assertEstablishment, guardEstablishmentKey, unknownEstablishment } from '../establishment-check.ts'
import { encadrantCreated, insertEncadrant } from '../profiles.ts'
import { refusals } from '../refusals.ts'
import { releaseSignUps } from '../sign-ups.ts'
import { encadrantView } from '../../../schemas/views/profile.ts'

/**
 * Creates an encadrant profile; 422 for an unknown establishment, 409 naming the field when the
 * email (any case) or user id already has a profile or is that of an account that is not an encadrant's.
 * An address only an unverified sign-up holds is taken over (`releaseSignUps`).
 */
export const createEncadrant: NonNullable<CommandHandlers['profile.create_encadrant']> = async ({ payload }, { tx, emit }) => {
  if (payload.establishment_id) await assertEstablishment(tx, payload.establishment_id)
  const asked = {
    userId: payload.user_id,
    email: payload.email.trim(),
    phone: payload.phone ?? null,
    firstName: payload.first_name ?? null,
    lastName: payload.last_name ?? null,
    speciality: payload.speciality ?? null,
    establishmentId: payload.establishment_id ?? null,
  }
  const released = await releaseSignUps(tx, [asked.email])
  const encadrant = await guardEstablishmentKey(() => insertEncadrant(tx, asked), unknownEstablishment)
  if (!encadrant) throw (await refusals(tx, 'encadrant', [asked]))[0]!
  const signUp = released.get(encadrant.email.toLowerCase())
  if (signUp) emit('student.deleted', signUp)
  emit('encadrant.created', encadrantCreated(encadrant))
  return { status: 201, body: encadrantView(encadrant) }
}
