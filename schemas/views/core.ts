/** How core's offers and stages look to a caller: what the API's reads and the worker's command results answer with. */
import { Type, type Static } from '@sinclair/typebox'
import { asc, eq, inArray } from 'drizzle-orm'
import { coreEstablishments, offers, stageHistory, stages } from '../db/core.ts'
import { Day, Id, Moment, Nullable } from './fields.ts'

type Reader = Pick<import('../../core/index.ts').Database, 'select'>
export type OfferRow = typeof offers.$inferSelect
export type StageRow = typeof stages.$inferSelect

export const OfferView = Type.Object({
  id: Id,
  establishment_id: Id,
  title: Type.String(),
  description: Nullable(Type.String()),
  speciality: Nullable(Type.String()),
  start_date: Day,
  end_date: Day,
  capacity: Type.Integer({ minimum: 1 }),
  status: Type.String({ description: 'open or closed: a closed offer takes no new stage' }),
  places_taken: Type.Integer({ minimum: 0 }),
  places_left: Type.Integer({ minimum: 0 }),
  created_at: Moment,
  updated_at: Moment,
})
export type OfferView = Static<typeof OfferView>

export function offerView(r: OfferRow): OfferView {
  return {
    id: r.id,
    establishment_id: r.establishmentId,
    title: r.title,
    description: r.description,
    speciality: r.speciality,
    start_date: r.startDate,
    end_date: r.endDate,
    capacity: r.capacity,
    status: r.status,
    places_taken: r.placesTaken,
    places_left: Math.max(0, r.capacity - r.placesTaken),
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  }
}

export const StageView = Type.Object({
  id: Id,
  status: Type.String({ description: 'created, accepted, started, completed or cancelled' }),
  student_id: Id,
  offer_id: Id,
  offer_title: Nullable(Type.String()),
  establishment: Type.Object({ id: Id, name: Nullable(Type.String()), city: Nullable(Type.String()) }),
  encadrant_id: Nullable(Id),
  start_date: Day,
  end_date: Day,
  actual_start_date: Nullable(Day),
  completion_date: Nullable(Day),
  cancel_reason: Nullable(Type.String()),
  created_at: Moment,
  updated_at: Moment,
  history: Type.Array(
    Type.Object({
      status: Type.String(),
      at: Moment,
      by: Type.Object({ user_id: Nullable(Id), role: Type.String({ description: 'the role of whoever made the change; `core` for core itself (a stage starting on its date)' }) }),
      reason: Type.Optional(Type.String()),
    }),
    { description: 'every status the stage took, oldest first' },
  ),
})
export type StageView = Static<typeof StageView>

/**
 * Stages as a caller sees them, in the order given: status, dates, offer
 * title, establishment, encadrant, and their history (status, when, by whom).
 */
export async function stageViews(db: Reader, rows: StageRow[]): Promise<StageView[]> {
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const [offerRows, establishmentRows, historyRows] = await Promise.all([
    db.select({ id: offers.id, title: offers.title }).from(offers).where(inArray(offers.id, [...new Set(rows.map((r) => r.offerId))])),
    db.select().from(coreEstablishments).where(inArray(coreEstablishments.establishmentId, [...new Set(rows.map((r) => r.establishmentId))])),
    db.select().from(stageHistory).where(inArray(stageHistory.stageId, ids)).orderBy(asc(stageHistory.id)),
  ])
  const titles = new Map(offerRows.map((o) => [o.id, o.title]))
  const places = new Map(establishmentRows.map((e) => [e.establishmentId, e]))
  return rows.map((r) => {
    const establishment = places.get(r.establishmentId)
    return {
      id: r.id,
      status: r.status,
      student_id: r.studentId,
      offer_id: r.offerId,
      offer_title: titles.get(r.offerId) ?? null,
      establishment: { id: r.establishmentId, name: establishment?.name ?? null, city: establishment?.city ?? null },
      encadrant_id: r.encadrantId,
      start_date: r.startDate,
      end_date: r.endDate,
      actual_start_date: r.actualStartDate,
      completion_date: r.completionDate,
      cancel_reason: r.cancelReason,
      created_at: r.createdAt.toISOString(),
      updated_at: r.updatedAt.toISOString(),
      history: historyRows
        .filter((h) => h.stageId === r.id)
        .map((h) => ({ status: h.status, at: h.at.toISOString(), by: { user_id: h.byUserId, role: h.byRole }, ...(h.reason ? { reason: h.reason } : {}) })),
    }
  })
}

export async function stageView(db: Reader, id: string): Promise<StageView | undefined> {
  const [row] = await db.select().from(stages).where(eq(stages.id, id))
  return row ? (await stageViews(db, [row]))[0]! : undefined
}
