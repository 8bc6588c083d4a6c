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

/**
 * Sends chosen dead letters (or all) of a service back to the queue each
 * failed on. Answers 200 `{service, replayed}` (how many went back; a letter
 * whose queue is gone is kept), with `missing` listing the ids asked for that
 * no letter had; 404 with a problem at `/ids` when none of them is there; 409
 * `COPY_REFUSED` when a queue refuses the copies (the letters stay). A service
 * whose dead-letter queue was never declared has none: `replayed: 0`.
 */
export const ReplayDeadLetters = Type.Object(Selection)
export type ReplayDeadLetters = Static<typeof ReplayDeadLetters>

/**
 * Deletes chosen dead letters (or all those there when it begins) of a
 * service, for good. Answers 200 `{service, purged}`, with `missing` listing
 * the ids asked for that no letter had; 404 with a problem at `/ids` when none
 * of them is there. A service whose dead-letter queue was never declared has
 * none: `purged: 0`.
 */
export const PurgeDeadLetters = Type.Object(Selection)
export type PurgeDeadLetters = Static<typeof PurgeDeadLetters>
