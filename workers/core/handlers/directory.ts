import { sql } from 'drizzle-orm'
import { TransientError } from '../../../core/index.ts'
import { coreEncadrants, coreEstablishments, stageGrades } from '../../../schemas/db/core.ts'
import type { EventHandlers } from '../../kit/define.ts'

/** Remembers an establishment, so that offers can name it. */
export const establishmentCreated: NonNullable<EventHandlers['establishment.created']> = async (event, { tx }) => {
  const { establishment_id, name, city } = event.payload
  await tx
    .insert(coreEstablishments)
    .values({ establishmentId: establishment_id, name, city })
    .onConflictDoUpdate({ target: coreEstablishments.establishmentId, set: { name, city, updatedAt: sql`now()` } })
}

/** Remembers an encadrant's account and establishment: whose stages they may accept and supervise. */
export const encadrantCreated: NonNullable<EventHandlers['encadrant.created']> = async (event, { tx }) => {
  const { encadrant_id, user_id, establishment_id } = event.payload
  await tx
    .insert(coreEncadrants)
    .values({ encadrantId: encadrant_id, userId: user_id, establishmentId: establishment_id ?? null })
    .onConflictDoUpdate({ target: coreEncadrants.encadrantId, set: { establishmentId: establishment_id ?? null, updatedAt: sql`now()` } })
}

/**
 * Keeps an encadrant's establishment when the update carries it; an update
 * for an encadrant core has not met yet is retried (their `encadrant.created`
 * is on its way) unless it names their account.
 */
export const encadrantUpdated: NonNullable<EventHandlers['encadrant.updated']> = async (event, { tx }) => {
  const { encadrant_id, user_id, establishment_id, updated_fields } = event.payload
  if (!updated_fields.includes('establishment_id') || establishment_id === undefined) return
  if (user_id) {
    await tx
      .insert(coreEncadrants)
      .values({ encadrantId: encadrant_id, userId: user_id, establishmentId: establishment_id })
      .onConflictDoUpdate({ target: coreEncadrants.encadrantId, set: { establishmentId: establishment_id, updatedAt: sql`now()` } })
    return
  }
  const updated = await tx
    .update(coreEncadrants)
    .set({ establishmentId: establishment_id, updatedAt: sql`now()` })
    .where(sql`${coreEncadrants.encadrantId} = ${encadrant_id}`)
    .returning({ id: coreEncadrants.encadrantId })
  if (updated.length === 0) throw new TransientError('ENCADRANT_UNKNOWN', `encadrant ${encadrant_id} is not known yet`)
}

/** Keeps each stage's final grade for the tracking. */
export const gradeAssigned: NonNullable<EventHandlers['grade.assigned']> = async (event, { tx }) => {
  const { stage_id, student_id, final_grade } = event.payload
  await tx.insert(stageGrades).values({ stageId: stage_id, studentId: student_id, finalGrade: final_grade }).onConflictDoUpdate({ target: stageGrades.stageId, set: { finalGrade: final_grade } })
}
