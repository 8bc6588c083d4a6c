/**
 * A stage's life, as one table: each action, the status it leads to, and
 * for each relation of the caller to the stage the statuses it may act from.
 * The core worker enforces it; the API's docs and the tests read it.
 */
export const STAGE_STATUSES = ['created', 'accepted', 'started', 'completed', 'cancelled'] as const
export type StageStatus = (typeof STAGE_STATUSES)[number]

/**
 * Who the caller is to a stage: an admin; the encadrant who accepted it;
 * an encadrant of the establishment it is at; its student; or core itself
 * (the sweep that starts an accepted stage on its start date).
 */
export type StageRelation = 'admin' | 'stage_encadrant' | 'establishment_encadrant' | 'student' | 'core'

export type StageAction = 'accept' | 'start' | 'complete' | 'cancel'

export const STAGE_TRANSITIONS: Readonly<Record<StageAction, { to: StageStatus; by: Partial<Record<StageRelation, readonly StageStatus[]>> }>> = {
  accept: { to: 'accepted', by: { admin: ['created'], establishment_encadrant: ['created'] } },
  start: { to: 'started', by: { admin: ['accepted'], stage_encadrant: ['accepted'], core: ['accepted'] } },
  complete: { to: 'completed', by: { admin: ['started'], stage_encadrant: ['started'] } },
  cancel: {
    to: 'cancelled',
    by: { admin: ['created', 'accepted', 'started'], stage_encadrant: ['created', 'accepted'], establishment_encadrant: ['created', 'accepted'], student: ['created'] },
  },
}

/**
 * What the table says of `action` on a stage in `status` by a caller with
 * `relations`: `allowed`; `wrong_status` when one of their relations may do
 * it, but not from this status (a 409 naming the status); `not_theirs` when
 * none may (a 403).
 */
export function judgeTransition(action: StageAction, status: StageStatus, relations: ReadonlySet<StageRelation>): 'allowed' | 'wrong_status' | 'not_theirs' {
  const { by } = STAGE_TRANSITIONS[action]
  const mine = [...relations].filter((r) => by[r] !== undefined)
  if (mine.length === 0) return 'not_theirs'
  return mine.some((r) => by[r]!.includes(status)) ? 'allowed' : 'wrong_status'
}

/** The statuses in which a stage holds a place of its offer. */
export const HOLDS_A_PLACE: readonly StageStatus[] = ['created', 'accepted', 'started', 'completed']
