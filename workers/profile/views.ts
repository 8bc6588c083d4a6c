import type { encadrants, establishments, students } from '../../schemas/db/profile.ts'

export type StudentRow = typeof students.$inferSelect
export type EncadrantRow = typeof encadrants.$inferSelect
export type EstablishmentRow = typeof establishments.$inferSelect

/** The student as the API shows it. */
export function studentView(s: StudentRow) {
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

/** The encadrant (supervisor) as the API shows it. */
export function encadrantView(e: EncadrantRow) {
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

/** The establishment as the API shows it. */
export function establishmentView(e: EstablishmentRow) {
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
