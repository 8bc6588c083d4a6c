import { t } from 'elysia'

export const EstablishmentCreate = t.Object({
  name: t.String({ minLength: 1 }),
  city: t.String({ minLength: 1 }),
  address: t.Optional(t.String({ minLength: 1 })),
  phone: t.Optional(t.String({ minLength: 1 })),
})

/** A partial update: the fields given are changed, any other field is ignored. */
export const EstablishmentUpdate = t.Object({
  name: t.Optional(t.String({ minLength: 1 })),
  city: t.Optional(t.String({ minLength: 1 })),
  address: t.Optional(t.String({ minLength: 1 })),
  phone: t.Optional(t.String({ minLength: 1 })),
})

export const EstablishmentParams = t.Object({ id: t.String({ format: 'uuid' }) })
