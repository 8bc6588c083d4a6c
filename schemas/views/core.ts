/** How core's offers and stages look to a caller: what the API's reads and the worker's command results answer with. */
import { asc, eq, inArray } from 'drizzle-orm'
import { coreEstablishments, offers, stageHistory, stages } from '../db/core.ts'

type Reader = Pick<import('../../core/index.ts').Database, 'select'>
export type OfferRow = typeof offers.$inferSelect
export type StageRow = typeof stages.$inferSelect

export function offerView(r: OfferRow) {
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

/**
 * Stages as a caller sees them, in the order given: status, dates, offer
 * title, establishment, encadrant, and their history (status, when, by whom).
 */
export async function stageViews(db: Reader, rows: StageRow[]) {
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

export async function stageView(db: Reader, id: string) {
  const [row] = await db.select().from(stages).where(eq(stages.id, id))
  return row ? (await stageViews(db, [row]))[0]! : undefined
}
