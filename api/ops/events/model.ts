import { t } from 'elysia'
import { PageQuery } from '../../kit/paging.ts'

/** A message id as consumers accept it: what an audited event's, a command's or a correlation id can be. */
export const AuditId = t.String({ minLength: 1, maxLength: 200 })

/** A moment, ISO 8601: a date and time with its offset, or a day (its midnight UTC). */
const Moment = (description: string) => t.Optional(t.Union([t.String({ format: 'date-time' }), t.String({ format: 'date' })], { description }))

export const EventSearch = t.Object({
  ...PageQuery.properties,
  type: t.Optional(t.String({ minLength: 1, maxLength: 200, description: 'events of this type only (`stage.accepted`)' })),
  producer: t.Optional(t.String({ minLength: 1, maxLength: 200, description: 'produced by this service (`core-service`, `external:<key name>`)' })),
  entity_id: t.Optional(t.String({ minLength: 1, maxLength: 200, description: 'whose payload holds this id, at any depth (a stage, its student…)' })),
  correlation_id: t.Optional(t.String({ minLength: 1, maxLength: 200, description: 'of this cascade (the X-Request-Id of the request that began it)' })),
  since: Moment('received at or after this moment'),
  until: Moment('received at or before this moment'),
})

export const EventParams = t.Object({ id: AuditId })
