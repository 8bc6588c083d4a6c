/** The fields views are made of, as TypeBox schemas: what the OpenAPI documents show and the views' types are. */
import { Type, type TSchema } from '@sinclair/typebox'

export const Id = Type.String({ format: 'uuid' })
/** A moment, ISO 8601 in UTC: `2027-02-01T08:30:00.000Z`. */
export const Moment = Type.String({ format: 'date-time' })
/** A calendar day: `2027-02-01`. */
export const Day = Type.String({ format: 'date' })
/** `schema`, or null where there is none. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/** What a deletion answers. */
export const Deleted = Type.Object({ id: Id, deleted: Type.Literal(true) })
