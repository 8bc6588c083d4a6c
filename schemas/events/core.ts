/** Events produced by the core service: internship offers and stages. */
import { Type, type Static } from '@sinclair/typebox'
import { IsoDate, Text, Uuid } from './fields.ts'

export const OfferCreated = Type.Object(
  {
    offer_id: Uuid,
    title: Text,
    establishment_id: Uuid,
    capacity: Type.Optional(Type.Integer({ minimum: 1, description: 'places the offer has' })),
    start_date: Type.Optional(IsoDate),
    end_date: Type.Optional(IsoDate),
  },
  { description: 'An establishment posted an internship offer.' },
)
export type OfferCreated = Static<typeof OfferCreated>

export const OfferUpdated = Type.Object(
  {
    offer_id: Uuid,
    status: Type.String({ minLength: 1, description: 'the offer status after the update' }),
    updated_fields: Type.Array(Type.String({ minLength: 1 }), { description: 'names of the fields the update changed' }),
  },
  { description: 'An internship offer changed.' },
)
export type OfferUpdated = Static<typeof OfferUpdated>

/**
 * What every `stage.*` event also carries, so that consumers need no lookup:
 * optional, so that a publisher of the seed's fields alone still passes.
 */
const StageContext = {
  student_id: Type.Optional(Uuid),
  offer_id: Type.Optional(Uuid),
  establishment_id: Type.Optional(Uuid),
  encadrant_id: Type.Optional(Uuid),
}

export const StageCreated = Type.Object(
  { ...StageContext, stage_id: Uuid, student_id: Uuid, offer_id: Uuid, start_date: IsoDate, end_date: Type.Optional(IsoDate) },
  { description: 'A student was assigned to an offer: the stage exists in state created.' },
)
export type StageCreated = Static<typeof StageCreated>

export const StageAccepted = Type.Object(
  { ...StageContext, stage_id: Uuid, student_id: Uuid, encadrant_id: Uuid },
  { description: 'The stage was accepted and has its supervisor (encadrant).' },
)
export type StageAccepted = Static<typeof StageAccepted>

export const StageStarted = Type.Object(
  { ...StageContext, stage_id: Uuid, actual_start_date: IsoDate },
  { description: 'The stage started.' },
)
export type StageStarted = Static<typeof StageStarted>

export const StageCompleted = Type.Object(
  { ...StageContext, stage_id: Uuid, completion_date: IsoDate },
  { description: 'The stage was completed; its evaluation can open.' },
)
export type StageCompleted = Static<typeof StageCompleted>

export const StageCancelled = Type.Object(
  { ...StageContext, stage_id: Uuid, reason: Text, status_before: Type.Optional(Type.String({ minLength: 1, description: 'the status the stage was cancelled from' })) },
  { description: 'The stage was cancelled before completion.' },
)
export type StageCancelled = Static<typeof StageCancelled>

export const StageTrackingInitialized = Type.Object(
  { student_id: Uuid, tracking_id: Uuid },
  { description: 'Stage tracking was set up for a new student.' },
)
export type StageTrackingInitialized = Static<typeof StageTrackingInitialized>
