import { eq, sql } from 'drizzle-orm'
import { DomainError, forbidden, notFound, unprocessable, type Actor, type Tx } from '../../../core/index.ts'
import { assertPeriod } from '../../../schemas/domain/period.ts'
import { coreEstablishments, offers } from '../../../schemas/db/core.ts'
import { offerView } from '../../../schemas/views/core.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { changes, type Editable } from '../../kit/changes.ts'
import { encadrantOf } from '../relations.ts'

/** An admin posts offers for any establishment; an encadrant for their own only (403). */
async function assertMayPostFor(tx: Tx, actor: Actor, establishmentId: string) {
  if (actor.role === 'admin') return
  const me = await encadrantOf(tx, actor.user_id)
  if (!me || me.establishmentId !== establishmentId) throw forbidden('an encadrant manages only the offers of their own establishment')
}

/** Creates an offer for an establishment core knows (422 at /establishment_id otherwise) and emits `offer.created`. */
export const createOffer: NonNullable<CommandHandlers['core.create_offer']> = async ({ payload: p, actor }, { tx, emit }) => {
  const [establishment] = await tx.select().from(coreEstablishments).where(eq(coreEstablishments.establishmentId, p.establishment_id))
  if (!establishment) throw unprocessable('unknown establishment', [{ path: '/establishment_id', message: 'no establishment has this id' }])
  await assertMayPostFor(tx, actor, p.establishment_id)
  assertPeriod(p.start_date, p.end_date)
  const [row] = await tx
    .insert(offers)
    .values({
      id: crypto.randomUUID(),
      establishmentId: p.establishment_id,
      title: p.title,
      description: p.description ?? null,
      speciality: p.speciality ?? null,
      startDate: p.start_date,
      endDate: p.end_date,
      capacity: p.capacity,
      createdBy: actor.user_id,
    })
    .returning()
  const offer = row!
  emit('offer.created', { offer_id: offer.id, title: offer.title, establishment_id: offer.establishmentId, capacity: offer.capacity, start_date: offer.startDate, end_date: offer.endDate })
  return { status: 201, body: offerView(offer) }
}

type OfferRow = typeof offers.$inferSelect
const EDITABLE: Editable<OfferRow> = {
  title: 'title',
  description: 'description',
  speciality: 'speciality',
  start_date: 'startDate',
  end_date: 'endDate',
  capacity: 'capacity',
  status: 'status',
}

/**
 * Changes an offer (the same people who may post it): a closed offer takes no
 * new stage, its stages go on; capacity never drops below the places taken
 * (409). `offer.updated` names the fields that changed; nothing changed, nothing emitted.
 */
export const updateOffer: NonNullable<CommandHandlers['core.update_offer']> = async ({ payload, actor }, { tx, emit }) => {
  const [row] = await tx.select().from(offers).where(eq(offers.id, payload.offer_id)).for('update')
  if (!row) throw notFound('offer')
  await assertMayPostFor(tx, actor, row.establishmentId)
  const { set, names } = changes(row, payload.fields, EDITABLE)
  if (names.length === 0) return { status: 200, body: offerView(row) }
  assertPeriod(set.startDate ?? row.startDate, set.endDate ?? row.endDate, set.endDate ? '/end_date' : '/start_date')
  if (set.capacity !== undefined && set.capacity < row.placesTaken) {
    throw new DomainError(409, 'CAPACITY_BELOW_TAKEN', `${row.placesTaken} places are taken: the capacity cannot be less`, [{ path: '/capacity', message: `must be at least ${row.placesTaken}, the places taken` }])
  }
  const [updated] = await tx.update(offers).set({ ...set, updatedAt: sql`now()` }).where(eq(offers.id, row.id)).returning()
  emit('offer.updated', { offer_id: row.id, status: updated!.status, updated_fields: names })
  return { status: 200, body: offerView(updated!) }
}
