import { t } from 'elysia'
import { SERVICES, type DeadLetter } from '../../../core/index.ts'
import { Type } from '@sinclair/typebox'
import { ReplayDeadLetters } from '../../../schemas/commands/ops.ts'
import { feature } from '../../kit/openapi.ts'

export const deadLetters = feature('dead-letters', "A service's dead letters: read without taking them, replayed or purged through the ops worker (admins)")

const LetterView = Type.Object({
  message_id: Type.String(),
  type: Type.Union([Type.String(), Type.Null()]),
  error: Type.String(),
  error_class: Type.String(),
  attempts: Type.Integer(),
  failed_at: Type.String(),
  original_queue: Type.String(),
  body: Type.String({ description: 'exactly as it was dead-lettered' }),
  headers: Type.Record(Type.String(), Type.Unknown()),
})
export const DeadLetters = Type.Object({ service: Type.String(), letters: Type.Array(LetterView) })

const Service = t.Union(
  SERVICES.map((s) => t.Literal(s)),
  { description: `one of ${SERVICES.join(', ')}` },
)

export const DeadLetterQuery = t.Object({ service: Service })

/** The body of a replay or a purge: a service and the letters, by their message ids, or all of them. */
export const LetterSelection = ReplayDeadLetters

/** A dead letter as the API shows it. */
export function letterView(l: DeadLetter): typeof LetterView.static {
  return {
    message_id: l.messageId,
    type: l.type ?? null,
    error: l.error,
    error_class: l.errorClass,
    attempts: l.attempts,
    failed_at: l.failedAt,
    original_queue: l.originalQueue,
    body: l.body,
    headers: l.headers,
  }
}
