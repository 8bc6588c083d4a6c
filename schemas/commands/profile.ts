/** Commands the profile worker applies. */
import { Type, type Static } from '@sinclair/typebox'
import { Email, Text, Uuid } from '../events/fields.ts'

/** A field a partial update may clear: `null` for none. */
const Cleared = Type.Union([Text, Type.Null()])

export const CreateStudent = Type.Object(
  {
    email: Email,
    user_id: Type.Optional(Uuid),
    cin: Type.Optional(Text),
    phone: Type.Optional(Text),
    first_name: Type.Optional(Text),
    last_name: Type.Optional(Text),
  },
  { description: 'Create a student profile; idempotent on email and user_id.' },
)
export type CreateStudent = Static<typeof CreateStudent>

export const UpdateStudent = Type.Object({
  student_id: Uuid,
  fields: Type.Partial(Type.Object({ cin: Cleared, phone: Cleared, first_name: Cleared, last_name: Cleared })),
})
export type UpdateStudent = Static<typeof UpdateStudent>

export const DeleteStudent = Type.Object({ student_id: Uuid })
export type DeleteStudent = Static<typeof DeleteStudent>

export const CreateEncadrant = Type.Object({
  email: Email,
  user_id: Type.Optional(Uuid),
  phone: Type.Optional(Text),
  first_name: Type.Optional(Text),
  last_name: Type.Optional(Text),
  speciality: Type.Optional(Text),
  establishment_id: Type.Optional(Uuid),
})
export type CreateEncadrant = Static<typeof CreateEncadrant>

export const UpdateEncadrant = Type.Object({
  encadrant_id: Uuid,
  /** `null` clears a field; `establishment_id: null` detaches the encadrant from their establishment. */
  fields: Type.Partial(Type.Object({ phone: Cleared, first_name: Cleared, last_name: Cleared, speciality: Cleared, establishment_id: Type.Union([Uuid, Type.Null()]) })),
})
export type UpdateEncadrant = Static<typeof UpdateEncadrant>

export const DeleteEncadrant = Type.Object({ encadrant_id: Uuid })
export type DeleteEncadrant = Static<typeof DeleteEncadrant>

export const CreateEstablishment = Type.Object({ name: Text, city: Text, address: Type.Optional(Text), phone: Type.Optional(Text) })
export type CreateEstablishment = Static<typeof CreateEstablishment>

export const UpdateEstablishment = Type.Object({
  establishment_id: Uuid,
  fields: Type.Partial(Type.Object({ name: Text, city: Text, address: Cleared, phone: Cleared })),
})
export type UpdateEstablishment = Static<typeof UpdateEstablishment>

export const DeleteEstablishment = Type.Object({ establishment_id: Uuid })
export type DeleteEstablishment = Static<typeof DeleteEstablishment>
