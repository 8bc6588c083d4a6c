/** Events produced by the profile service: students, encadrants and establishments. */
import { Type, type Static } from '@sinclair/typebox'
import { Email, OptionalName, OptionalText, Text, UpdatedFields, Uuid } from './fields.ts'

export const StudentCreated = Type.Object(
  {
    student_id: Uuid,
    user_id: Uuid,
    email: Email,
    cin: OptionalText({ description: 'national identity card number' }),
    phone: OptionalText(),
    first_name: OptionalName,
    last_name: OptionalName,
  },
  { description: 'A student profile was created, for a registered user or by an admin.' },
)
export type StudentCreated = Static<typeof StudentCreated>

export const StudentUpdated = Type.Object(
  { student_id: Uuid, updated_fields: UpdatedFields },
  { description: 'Fields of a student profile changed.' },
)
export type StudentUpdated = Static<typeof StudentUpdated>

export const StudentDeleted = Type.Object(
  { student_id: Uuid, user_id: Uuid },
  { description: 'A student profile was deleted.' },
)
export type StudentDeleted = Static<typeof StudentDeleted>

/** The establishment an encadrant is attached to, `null` for none: whose stages they may accept. */
const EncadrantEstablishment = Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'the establishment the encadrant is attached to; null for none' }))

export const EncadrantCreated = Type.Object(
  {
    encadrant_id: Uuid,
    user_id: Uuid,
    email: Email,
    phone: OptionalText(),
    first_name: OptionalName,
    last_name: OptionalName,
    establishment_id: EncadrantEstablishment,
  },
  { description: 'A supervisor (encadrant) profile was created.' },
)
export type EncadrantCreated = Static<typeof EncadrantCreated>

export const EncadrantUpdated = Type.Object(
  { encadrant_id: Uuid, updated_fields: UpdatedFields, user_id: Type.Optional(Uuid), establishment_id: EncadrantEstablishment },
  { description: 'Fields of an encadrant profile changed.' },
)
export type EncadrantUpdated = Static<typeof EncadrantUpdated>

export const EstablishmentCreated = Type.Object(
  { establishment_id: Uuid, name: Text, city: Text },
  { description: 'An establishment (hospital) that can post internship offers was created.' },
)
export type EstablishmentCreated = Static<typeof EstablishmentCreated>
