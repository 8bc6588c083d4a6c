import { t } from 'elysia'
import { Type, type Static } from '@sinclair/typebox'
import { Moment as Instant, Nullable } from '../../../schemas/views/fields.ts'
import { feature } from '../../kit/openapi.ts'
import { PageQuery } from '../../kit/paging.ts'

export const events = feature('events', 'The audit trail: every event that went through the events exchange, searched (admins)')

export const AuditView = Type.Object({
  event_id: Type.String(),
  type: Type.String(),
  producer: Type.String(),
  correlation_id: Nullable(Type.String()),
  causation_id: Nullable(Type.String()),
  occurred_at: Instant,
  received_at: Instant,
  routing_key: Type.String(),
  payload: Type.Unknown({ description: "the event's payload" }),
  headers: Type.Unknown({ description: 'the message properties and headers it came with' }),
})
export type AuditView = Static<typeof AuditView>

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
