import { DomainError, NoDeadLetterQueue, purgeDeadLetters, replayDeadLetters, unprocessable, type DeadLetterTally } from '../../../core/index.ts'
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

/** None of the letters named is there: 404 at /ids, naming them. */
function noneThere(service: string, ids: readonly string[]): DomainError {
  return new DomainError(404, 'NOT_FOUND', `no dead letter of ${service} has any of the ids named`, [{ path: '/ids', message: `no dead letter has the id ${ids.join(', ')}` }])
}

/**
 * A command acting on a service's dead letters through `act` (the functions
 * `bun run dlq` uses), before its transaction; the transaction emits `event`
 * with who asked, which ones and how many, and answers `{service, [key]: n}`,
 * with `missing` naming the ids asked for that no letter had. When none of
 * them is there, the command is refused (404). A service whose dead-letter
 * queue was never declared has no letters.
 */
function deadLetterCommand<T extends Selection>(
  act: typeof replayDeadLetters,
  event: 'dead_letters.replayed' | 'dead_letters.purged',
  key: 'replayed' | 'purged',
): CommandEffectHandler<T, DeadLetterTally> {
  return {
    async effect(command: Command<T>, { connection, namespace }) {
      const { service } = command.payload
      const ids = chosen(command.payload)
      const done = await act({ connection, namespace, service, ...(ids ? { ids } : {}) }).catch((err: unknown) => {
        if (err instanceof NoDeadLetterQueue) return { count: 0, missing: [...(ids ?? [])] }
        throw err
      })
      if (ids && done.missing.length === ids.length) throw noneThere(service, ids)
      return done
    },
    async apply(command, done, { emit }) {
      const { service, ids } = command.payload
      emit(event, { service, ids: ids ? [...ids] : null, count: done.count, actor_id: command.actor.user_id })
      return { status: 200, body: { service, [key]: done.count, ...(done.missing.length > 0 ? { missing: done.missing } : {}) } }
    },
  }
}

/** Sends the chosen dead letters of a service back to the queue each failed on. */
export const replayDeadLettersCommand = deadLetterCommand<ReplayDeadLetters>(replayDeadLetters, 'dead_letters.replayed', 'replayed')

/** Deletes the chosen dead letters of a service for good. */
export const purgeDeadLettersCommand = deadLetterCommand<PurgeDeadLetters>(purgeDeadLetters, 'dead_letters.purged', 'purged')
