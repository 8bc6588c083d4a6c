import { t } from 'elysia'
import { clearable, text } from '../../kit/fields.ts'
import { feature } from '../../kit/openapi.ts'

export const EstablishmentCreate = t.Object({
  name: text(200),
  city: text(100),
  address: t.Optional(text(500)),
  phone: t.Optional(text(50)),
})

/** A partial update: the fields given are changed (`null` clears `address` or `phone`), any other field is ignored. */
export const EstablishmentUpdate = t.Object({
  name: t.Optional(text(200)),
  city: t.Optional(text(100)),
  address: clearable(500),
  phone: clearable(50),
})

export const EstablishmentParams = t.Object({ id: t.String({ format: 'uuid' }) })

export const establishments = feature('establishments', 'The hospitals and clinics offers are posted at and encadrants belong to: read by everyone signed in, changed by admins')
