import { purgeDeadLetters, replayDeadLetters, unprocessable } from '../../../core/index.ts'
import type { PurgeDeadLetters, ReplayDeadLetters } from '../../../schemas/commands/ops.ts'
import type { Command, CommandEffectHandler } from '../../kit/define.ts'

type Selection = ReplayDeadLetters | PurgeDeadLetters

/** The ids named, or undefined for all of them; refused (422 at /payload/ids) unless exactly one of `ids` and `all: true` is given. */
function chosen(payload: Selection): readonly string[] | undefined {
  const all = payload.all === true
  if ((payload.ids !== undefined) === all) {
    const problem = all ? 'must not be given with all: true' : 'is required, or all: true'
    throw unprocessable('name the dead letters by their ids, or all of them with all: true, not both', [{ path: '/payload/ids', message: problem }])
  }
  return payload.ids
}

/**
 * A command acting on a service's dead letters through `act` (the functions
 * `bun run dlq` uses), before its transaction; the transaction emits `event`
 * with who asked, which ones and how many, and answers `{service, [key]: n}`.
 * An id named that is not there is not an error: the count tells.
 */
function deadLetterCommand<T extends Selection>(
  act: typeof replayDeadLetters,
  event: 'dead_letters.replayed' | 'dead_letters.purged',
  key: 'replayed' | 'purged',
): CommandEffectHandler<T, number> {
  return {
    async effect(command: Command<T>, { connection, namespace }) {
      return act({ connection, namespace, service: command.payload.service, ids: chosen(command.payload) })
    },
    async apply(command, count, { emit }) {
      const { service, ids } = command.payload
      emit(event, { service, ids: ids ? [...ids] : null, count, actor_id: command.actor.user_id })
      return { status: 200, body: { service, [key]: count } }
    },
  }
}

/** Sends the chosen dead letters of a service back to the queue each failed on. */
export const replayDeadLettersCommand = deadLetterCommand<ReplayDeadLetters>(replayDeadLetters, 'dead_letters.replayed', 'replayed')

/** Deletes the chosen dead letters of a service for good. */
export const purgeDeadLettersCommand = deadLetterCommand<PurgeDeadLetters>(purgeDeadLetters, 'dead_letters.purged', 'purged')
