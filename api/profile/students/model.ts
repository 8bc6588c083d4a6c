import { t } from 'elysia'

export const StudentCreate = t.Object({
  email: t.String({ format: 'email', maxLength: 254 }),
  user_id: t.Optional(t.String({ format: 'uuid' })),
  cin: t.Optional(t.String({ minLength: 1 })),
  phone: t.Optional(t.String({ minLength: 1 })),
  first_name: t.Optional(t.String({ minLength: 1 })),
  last_name: t.Optional(t.String({ minLength: 1 })),
})

/** A partial update: the fields given are changed, any other field is ignored. */
export const StudentUpdate = t.Object({
  cin: t.Optional(t.String({ minLength: 1 })),
  phone: t.Optional(t.String({ minLength: 1 })),
  first_name: t.Optional(t.String({ minLength: 1 })),
  last_name: t.Optional(t.String({ minLength: 1 })),
})

export const StudentParams = t.Object({ id: t.String({ format: 'uuid' }) })
