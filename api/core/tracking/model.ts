import { Type, type Static } from '@sinclair/typebox'
import { t } from 'elysia'
import { STAGE_STATUSES, type StageStatus } from '../../../schemas/domain/stages.ts'
import { Moment, Nullable } from '../../../schemas/views/fields.ts'
import { StageView } from '../../../schemas/views/core.ts'
import { feature } from '../../kit/openapi.ts'

export const TrackingParams = t.Object({ student_id: t.String({ format: 'uuid' }) })

export const tracking = feature('tracking', "A student's internships at a glance: their stages by status, the current one, and each completed stage's grade")

/** A stage of the tracking: the stage, and its final grade once assigned. */
export const TrackedStage = Type.Composite([StageView, Type.Object({ final_grade: Nullable(Type.Number({ minimum: 0, maximum: 20 })) })])
export type TrackedStage = Static<typeof TrackedStage>

export const TrackingView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  student_id: Type.String({ format: 'uuid' }),
  status: Type.String({ description: 'not_started, in_progress (a stage started) or completed (none started, one completed at least)' }),
  stages_completed: Type.Integer({ minimum: 0 }),
  current: Nullable(TrackedStage),
  stages: Type.Object(Object.fromEntries(STAGE_STATUSES.map((s) => [s, Type.Array(TrackedStage)])) as Record<StageStatus, ReturnType<typeof Type.Array<typeof TrackedStage>>>, {
    description: 'the stages by status, in the order of their start dates',
  }),
  created_at: Moment,
  updated_at: Moment,
})
export type TrackingView = Static<typeof TrackingView>
