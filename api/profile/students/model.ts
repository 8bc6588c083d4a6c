import { t } from 'elysia'
import { clearable, personName, text } from '../../kit/fields.ts'
import { feature } from '../../kit/openapi.ts'

export const StudentCreate = t.Object({
  email: t.String({ format: 'email', maxLength: 254 }),
  user_id: t.Optional(t.String({ format: 'uuid' })),
  cin: t.Optional(text(50)),
  phone: t.Optional(text(50)),
  first_name: t.Optional(personName(100)),
  last_name: t.Optional(personName(100)),
})

/** A partial update: the fields given are changed (`null` clears one), any other field is ignored. */
export const StudentUpdate = t.Object({
  cin: clearable(50),
  phone: clearable(50),
  first_name: clearable(100, personName),
  last_name: clearable(100, personName),
})

export const StudentParams = t.Object({ id: t.String({ format: 'uuid' }) })

export const students = feature('students', "Students' profiles: made by admins or at sign-up, read and edited by their student, read by the encadrants of their stages")
