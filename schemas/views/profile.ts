import { Type, type Static } from '@sinclair/typebox'
import type { encadrants, establishments, students } from '../db/profile.ts'
import { Id, Moment, Nullable } from './fields.ts'

export type StudentRow = typeof students.$inferSelect
export type EncadrantRow = typeof encadrants.$inferSelect
export type EstablishmentRow = typeof establishments.$inferSelect

const Text = Nullable(Type.String())

export const StudentView = Type.Object({
  id: Id,
  user_id: Id,
  email: Type.String({ format: 'email' }),
  cin: Text,
  phone: Text,
  first_name: Text,
  last_name: Text,
  created_at: Moment,
  updated_at: Moment,
})
export type StudentView = Static<typeof StudentView>

/** The student as the API shows it. */
export function studentView(s: StudentRow): StudentView {
  return {
    id: s.id,
    user_id: s.userId,
    email: s.email,
    cin: s.cin,
    phone: s.phone,
    first_name: s.firstName,
    last_name: s.lastName,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  }
}

export const EncadrantView = Type.Object({
  id: Id,
  user_id: Id,
  email: Type.String({ format: 'email' }),
  phone: Text,
  first_name: Text,
  last_name: Text,
  speciality: Text,
  establishment_id: Nullable(Id),
  created_at: Moment,
  updated_at: Moment,
})
export type EncadrantView = Static<typeof EncadrantView>

/** The encadrant (supervisor) as the API shows it. */
export function encadrantView(e: EncadrantRow): EncadrantView {
  return {
    id: e.id,
    user_id: e.userId,
    email: e.email,
    phone: e.phone,
    first_name: e.firstName,
    last_name: e.lastName,
    speciality: e.speciality,
    establishment_id: e.establishmentId,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  }
}

export const EstablishmentView = Type.Object({
  id: Id,
  name: Type.String(),
  city: Type.String(),
  address: Text,
  phone: Text,
  created_at: Moment,
  updated_at: Moment,
})
export type EstablishmentView = Static<typeof EstablishmentView>

/** The establishment as the API shows it. */
export function establishmentView(e: EstablishmentRow): EstablishmentView {
  return {
    id: e.id,
    name: e.name,
    city: e.city,
    address: e.address,
    phone: e.phone,
    created_at: e.createdAt.toISOString(),
    updated_at: e.updatedAt.toISOString(),
  }
}
