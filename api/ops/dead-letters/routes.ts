import { AMQPError, type Connection } from 'rabbitmq-client'
import { DomainError, listDeadLetters, NoDeadLetterQueue, TryAgainLater, WalkUnderWay, type DeadLetter } from '../../../core/index.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import { brokerUnavailable } from '../queues/depths.ts'
import { DeadLetterQuery, DeadLetters, deadLetters, LetterSelection, letterView } from './model.ts'

/** Ids or all, one of them: neither names no letter, both say two things. */
function selectionOf(body: { service: string; ids?: string[]; all?: boolean }): { service: string; ids?: string[]; all?: true } {
  const all = body.all === true
  if (all === (body.ids !== undefined)) {
    throw new DomainError(422, 'VALIDATION_FAILED', 'invalid body', [{ path: '/ids', message: all ? 'must not be given with all: true' : 'is required unless all is true' }])
  }
  return all ? { service: body.service, all: true } : { service: body.service, ids: body.ids }
}

/** How long a reading waits for another walk of the queue (a replay, `bun run dlq`) before it answers 409: as long as Retry-After then says. */
const READ_WAIT_SECONDS = 5

/**
 * What a reading of the dead letters that failed answers: none when the
 * broker has no such queue (no worker of the service has run under this
 * namespace yet), 409 with Retry-After while another walk of the queue holds
 * it, 503 when the broker fails; anything else is ours.
 */
function unread(err: unknown): DeadLetter[] {
  if (err instanceof NoDeadLetterQueue) return []
  if (err instanceof WalkUnderWay) throw new TryAgainLater(409, 'WALK_UNDER_WAY', READ_WAIT_SECONDS, err.message)
  throw err instanceof AMQPError ? brokerUnavailable() : err
}

/**
 * `/dead-letters`: a service's dead letters, read without taking them; a
 * replay or a purge is a command the ops worker applies (admins).
 */
export const deadLetterRoutes = (app: ServiceApi<'ops'>, broker: () => Connection | undefined, namespace: string) =>
  app
    .get(
      '/dead-letters',
      async ({ query }) => {
        const connection = broker()
        if (!connection?.ready) throw brokerUnavailable()
        const letters = await listDeadLetters({ connection, service: query.service, namespace, turnWaitMs: READ_WAIT_SECONDS * 1_000 }).catch(unread)
        return { service: query.service, letters: letters.map(letterView) }
      },
      {
        auth: ['admin'],
        query: DeadLetterQuery,
        answers: deadLetters.read(DeadLetters, { 409: 'WALK_UNDER_WAY: another walk of the queue holds it; Retry-After says when to try again' }),
        detail: {
          summary: "A service's dead letters, oldest first: why each failed, how often it was tried, the queue it failed on, its body and headers; 409 WALK_UNDER_WAY with Retry-After while a replay or a purge holds the queue",
        },
      },
    )
    .post('/dead-letters/replay', ({ body, send }) => send('ops.replay_dead_letters', selectionOf(body)), {
      auth: ['admin'],
      body: LetterSelection,
      answers: deadLetters.command('ops.replay_dead_letters', { 404: 'none of the letters named by ids is there', 409: 'COPY_REFUSED: a queue refused the copies; the letters stay' }),
      detail: {
        summary:
          'Sends the letters named by `ids` (message ids), or `all`, back to the queue each failed on; answers how many (`replayed`), and the ids no letter had (`missing`); 404 at /ids when none of them is there, 409 COPY_REFUSED when a queue refuses the copies (the letters stay)',
      },
    })
    .post('/dead-letters/purge', ({ body, send }) => send('ops.purge_dead_letters', selectionOf(body)), {
      auth: ['admin'],
      body: LetterSelection,
      answers: deadLetters.command('ops.purge_dead_letters', { 404: 'none of the letters named by ids is there' }),
      detail: { summary: 'Deletes the letters named by `ids` (message ids), or `all` there when it begins, for good; answers how many (`purged`), and the ids no letter had (`missing`); 404 at /ids when none of them is there' },
    })
