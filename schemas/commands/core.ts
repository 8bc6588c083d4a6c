/** Commands the core worker applies: offers and stages. Who sends them is the command's actor. */
import { Type, type Static } from '@sinclair/typebox'
import { Text, Uuid } from '../events/fields.ts'

/** A calendar date, `2026-09-01`. */
export const CalendarDate = Type.String({ format: 'date', description: 'a calendar date, YYYY-MM-DD' })
const OptionalText = Type.Optional(Type.Union([Text, Type.Null()]))

export const CreateOffer = Type.Object({
  establishment_id: Uuid,
  title: Text,
  description: OptionalText,
  speciality: OptionalText,
  start_date: CalendarDate,
  end_date: CalendarDate,
  capacity: Type.Integer({ minimum: 1 }),
})
export type CreateOffer = Static<typeof CreateOffer>

export const UpdateOffer = Type.Object({
  offer_id: Uuid,
  fields: Type.Partial(
    Type.Object({
      title: Text,
      description: Type.Union([Text, Type.Null()]),
      speciality: Type.Union([Text, Type.Null()]),
      start_date: CalendarDate,
      end_date: CalendarDate,
      capacity: Type.Integer({ minimum: 1 }),
      status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
    }),
  ),
})
export type UpdateOffer = Static<typeof UpdateOffer>

export const CreateStage = Type.Object({
  student_id: Uuid,
  offer_id: Uuid,
  start_date: Type.Optional(CalendarDate),
  end_date: Type.Optional(CalendarDate),
})
export type CreateStage = Static<typeof CreateStage>

/** accept (an admin names `encadrant_id`; an encadrant accepts as themself), start, complete. */
export const MoveStage = Type.Object({
  stage_id: Uuid,
  action: Type.Union([Type.Literal('accept'), Type.Literal('start'), Type.Literal('complete'), Type.Literal('cancel')]),
  encadrant_id: Type.Optional(Uuid),
  reason: Type.Optional(Text),
})
export type MoveStage = Static<typeof MoveStage>
