import { DomainError, NoDeadLetterQueue, purgeDeadLetters, replayDeadLetters, unprocessable, type DeadLetterTally } from '../../../core/index.ts'
import type { CommandPayload, CommandSuccess } from '../../../schemas/commands/index.ts'
import type { Command, CommandEffectOf } from '../../kit/define.ts'

type DeadLetterCommand = 'ops.replay_dead_letters' | 'ops.purge_dead_letters'
type Selection = CommandPayload<DeadLetterCommand>

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
 * with who asked, which ones and how many, and answers `{service, replayed: n}` (or `purged`),
 * with `missing` naming the ids asked for that no letter had. When none of
 * them is there, the command is refused (404). A service whose dead-letter
 * queue was never declared has no letters.
 */
function deadLetterCommand<K extends DeadLetterCommand>(type: K, act: typeof replayDeadLetters, event: 'dead_letters.replayed' | 'dead_letters.purged'): CommandEffectOf<K, DeadLetterTally> {
  const key = type === 'ops.replay_dead_letters' ? 'replayed' : 'purged'
  return {
    async effect(command: Command<Selection>, { connection, namespace }) {
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
      const body = { service, [key]: done.count, ...(done.missing.length > 0 ? { missing: done.missing } : {}) }
      return { status: 200, body } as CommandSuccess<K>
    },
  }
}

/** Sends the chosen dead letters of a service back to the queue each failed on. */
export const replayDeadLettersCommand = deadLetterCommand('ops.replay_dead_letters', replayDeadLetters, 'dead_letters.replayed')

/** Deletes the chosen dead letters of a service for good. */
export const purgeDeadLettersCommand = deadLetterCommand('ops.purge_dead_letters', purgeDeadLetters, 'dead_letters.purged')
