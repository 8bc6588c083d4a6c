/** Commands the ops worker applies: what an operator does to a service's dead letters. */
import { Type, type Static } from '@sinclair/typebox'

/** The services whose dead letters an operator may act on. */
const Service = Type.Union(['auth', 'profile', 'core', 'comm', 'eval', 'ops'].map((s) => Type.Literal(s)))

/**
 * Which of a service's dead letters: the ones named by `ids` (their message
 * ids), or every one with `all: true`; never both, never neither.
 */
const Selection = {
  service: Service,
  ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 1000, uniqueItems: true })),
  all: Type.Optional(Type.Boolean()),
}

/** Sends chosen dead letters (or all) of a service back to the queue each failed on. */
export const ReplayDeadLetters = Type.Object(Selection)
export type ReplayDeadLetters = Static<typeof ReplayDeadLetters>

/** Deletes chosen dead letters (or all) of a service, for good. */
export const PurgeDeadLetters = Type.Object(Selection)
export type PurgeDeadLetters = Static<typeof PurgeDeadLetters>
