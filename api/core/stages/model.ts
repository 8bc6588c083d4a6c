import { t } from 'elysia'
import { text } from '../../kit/fields.ts'
import { feature, Page } from '../../kit/openapi.ts'
import { PageQuery } from '../../kit/paging.ts'
import { STAGE_STATUSES } from '../../../schemas/domain/stages.ts'
import { StageView } from '../../../schemas/views/core.ts'

const CalendarDate = t.String({ format: 'date', description: 'a calendar date, YYYY-MM-DD' })
const Id = t.String({ format: 'uuid' })

export const StageCreate = t.Object({
  student_id: Id,
  offer_id: Id,
  start_date: t.Optional(CalendarDate),
  end_date: t.Optional(CalendarDate),
})

/** An admin names the encadrant who accepts; an encadrant accepts as themself. */
export const StageAccept = t.Optional(t.Object({ encadrant_id: t.Optional(Id) }))
export const StageCancel = t.Object({ reason: text(1_000) })

export const StageQuery = t.Object({
  ...PageQuery.properties,
  status: t.Optional(t.Union(STAGE_STATUSES.map((s) => t.Literal(s)), { description: STAGE_STATUSES.join(', ') })),
  offer_id: t.Optional(Id),
  student_id: t.Optional(Id),
  encadrant_id: t.Optional(Id),
})

export const StageParams = t.Object({ id: Id })

export const stages = feature('stages', 'A student on an offer, from assignment to completion: accepted by an encadrant, started, completed or cancelled, as one transition table allows')
export const StagePage = Page(StageView)

/** What a move of a stage may be refused for, besides its body. */
export const MOVE_REFUSALS = {
  403: 'a move that is not the caller’s to make',
  404: 'no such stage, or one of another student or establishment',
  409: 'INVALID_TRANSITION: not from the stage’s status, named at `/status`',
} as const
