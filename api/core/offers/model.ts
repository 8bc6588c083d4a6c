import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { text } from '../../kit/fields.ts'
import { feature, Page } from '../../kit/openapi.ts'
import { PageQuery } from '../../kit/paging.ts'
import { OfferView } from '../../../schemas/views/core.ts'

const CalendarDate = t.String({ format: 'date', description: 'a calendar date, YYYY-MM-DD' })
const Id = t.String({ format: 'uuid' })

export const OfferCreate = t.Object({
  establishment_id: Id,
  title: text(200),
  description: t.Optional(t.Union([text(5_000), t.Null()])),
  speciality: t.Optional(t.Union([text(100), t.Null()])),
  start_date: CalendarDate,
  end_date: CalendarDate,
  // A JSON number, not a string of digits (Elysia's t.Integer would take both, and document both).
  capacity: Type.Integer({ minimum: 1, maximum: 10_000, description: 'places, at least 1' }),
})

/** A partial update: the fields given change; `status` opens or closes the offer to new stages. */
export const OfferUpdate = t.Object({
  title: t.Optional(text(200)),
  description: t.Optional(t.Union([text(5_000), t.Null()])),
  speciality: t.Optional(t.Union([text(100), t.Null()])),
  start_date: t.Optional(CalendarDate),
  end_date: t.Optional(CalendarDate),
  capacity: t.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'places, at least the places taken' })),
  status: t.Optional(t.Union([t.Literal('open'), t.Literal('closed')], { description: 'open or closed' })),
})

export const OfferQuery = t.Object({
  ...PageQuery.properties,
  establishment_id: t.Optional(Id),
  status: t.Optional(t.Union([t.Literal('open'), t.Literal('closed')], { description: 'open or closed' })),
  speciality: t.Optional(text(100)),
})

export const OfferParams = t.Object({ id: Id })

export const offers = feature('offers', 'Places at an establishment for a period, posted by admins and its encadrants, that stages are assigned to')
export const OfferPage = Page(OfferView)
