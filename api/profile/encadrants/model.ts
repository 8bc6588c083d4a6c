import { t } from 'elysia'
import { clearable, personName, text } from '../../kit/fields.ts'
import { feature } from '../../kit/openapi.ts'

export const EncadrantCreate = t.Object({
  email: t.String({ format: 'email', maxLength: 254 }),
  user_id: t.Optional(t.String({ format: 'uuid' })),
  phone: t.Optional(text(50)),
  first_name: t.Optional(personName(100)),
  last_name: t.Optional(personName(100)),
  speciality: t.Optional(text(200)),
  establishment_id: t.Optional(t.String({ format: 'uuid' })),
})

/** A partial update: the fields given are changed (`null` clears one), any other field is ignored. */
export const EncadrantUpdate = t.Object({
  phone: clearable(50),
  first_name: clearable(100, personName),
  last_name: clearable(100, personName),
  speciality: clearable(200),
  /** `null` detaches the encadrant from their establishment. */
  establishment_id: t.Optional(t.Union([t.String({ format: 'uuid' }), t.Null()])),
})

export const EncadrantParams = t.Object({ id: t.String({ format: 'uuid' }) })

export const encadrants = feature('encadrants', "Encadrants' (supervisors') profiles: made by admins or at sign-up, attached to an establishment by an admin, read and edited by their encadrant")
