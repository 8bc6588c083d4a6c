import { t } from 'elysia'

export const EncadrantCreate = t.Object({
  email: t.String({ format: 'email', maxLength: 254 }),
  user_id: t.Optional(t.String({ format: 'uuid' })),
  phone: t.Optional(t.String({ minLength: 1 })),
  first_name: t.Optional(t.String({ minLength: 1 })),
  last_name: t.Optional(t.String({ minLength: 1 })),
  speciality: t.Optional(t.String({ minLength: 1 })),
  establishment_id: t.Optional(t.String({ format: 'uuid' })),
})

/** A partial update: the fields given are changed, any other field is ignored. */
export const EncadrantUpdate = t.Object({
  phone: t.Optional(t.String({ minLength: 1 })),
  first_name: t.Optional(t.String({ minLength: 1 })),
  last_name: t.Optional(t.String({ minLength: 1 })),
  speciality: t.Optional(t.String({ minLength: 1 })),
  establishment_id: t.Optional(t.String({ format: 'uuid' })),
})

export const EncadrantParams = t.Object({ id: t.String({ format: 'uuid' }) })
