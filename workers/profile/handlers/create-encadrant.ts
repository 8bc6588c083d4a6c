import { conflict } from '../../../core/index.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { assertEstablishment } from '../establishment-check.ts'
import { encadrantCreated, insertEncadrant } from '../profiles.ts'
import { encadrantView } from '../views.ts'

/** Creates an encadrant profile; 409 when a profile already exists for the email (any case) or user id. */
export const createEncadrant: NonNullable<CommandHandlers['profile.create_encadrant']> = async ({ payload }, { tx, emit }) => {
  if (payload.establishment_id) await assertEstablishment(tx, payload.establishment_id)
  const email = payload.email.trim()
  const encadrant = await insertEncadrant(tx, {
    userId: payload.user_id,
    email,
    phone: payload.phone ?? null,
    firstName: payload.first_name ?? null,
    lastName: payload.last_name ?? null,
    speciality: payload.speciality ?? null,
    establishmentId: payload.establishment_id ?? null,
  })
  if (!encadrant) throw conflict('a profile with this email or user already exists', [{ path: '/email', message: 'already registered' }])
  emit('encadrant.created', encadrantCreated(encadrant))
  return { status: 201, body: encadrantView(encadrant) }
}
