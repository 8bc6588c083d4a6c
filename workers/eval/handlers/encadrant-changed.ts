import { sql } from 'drizzle-orm'
import type { Tx } from '../../../core/index.ts'
import { evalEncadrants } from '../../../schemas/db/eval.ts'
import type { EventHandlers } from '../../kit/define.ts'

/** Remembers which account an encadrant is. */
async function rememberEncadrant(tx: Tx, encadrantId: string, userId: string) {
  await tx
    .insert(evalEncadrants)
    .values({ encadrantId, userId })
    .onConflictDoUpdate({ target: evalEncadrants.encadrantId, set: { userId, updatedAt: sql`now()` } })
}

export const encadrantCreated: NonNullable<EventHandlers['encadrant.created']> = async ({ payload }, { tx }) => {
  await rememberEncadrant(tx, payload.encadrant_id, payload.user_id)
}

/** An update that names the account (profile's do) also introduces an encadrant eval missed; one that does not says nothing eval keeps. */
export const encadrantUpdated: NonNullable<EventHandlers['encadrant.updated']> = async ({ payload }, { tx }) => {
  if (payload.user_id) await rememberEncadrant(tx, payload.encadrant_id, payload.user_id)
}
