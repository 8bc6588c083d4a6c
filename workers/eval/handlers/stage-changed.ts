import type { EventHandlers } from '../../kit/define.ts'
import { contextOf, recordStage } from '../stage-read-model.ts'

/*
 * The stage read model, from core's `stage.*` events. `stage.completed` does
 * more (stage-completed.ts); the others only record what they say.
 */

export const stageCreated: NonNullable<EventHandlers['stage.created']> = async ({ payload }, { tx }) => {
  await recordStage(tx, payload.stage_id, 'created', { ...contextOf(payload), startDate: payload.start_date, endDate: payload.end_date })
}

export const stageAccepted: NonNullable<EventHandlers['stage.accepted']> = async ({ payload }, { tx }) => {
  await recordStage(tx, payload.stage_id, 'accepted', contextOf(payload))
}

export const stageStarted: NonNullable<EventHandlers['stage.started']> = async ({ payload }, { tx }) => {
  await recordStage(tx, payload.stage_id, 'started', { ...contextOf(payload), startedOn: payload.actual_start_date })
}

export const stageCancelled: NonNullable<EventHandlers['stage.cancelled']> = async ({ payload }, { tx }) => {
  await recordStage(tx, payload.stage_id, 'cancelled', { ...contextOf(payload), cancelReason: payload.reason })
}
