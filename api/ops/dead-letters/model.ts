import { t } from 'elysia'
import { SERVICES, type DeadLetter } from '../../../core/index.ts'
import { ReplayDeadLetters } from '../../../schemas/commands/ops.ts'

const Service = t.Union(
  SERVICES.map((s) => t.Literal(s)),
  { description: `one of ${SERVICES.join(', ')}` },
)

export const DeadLetterQuery = t.Object({ service: Service })

/** The body of a replay or a purge: a service and the letters, by their message ids, or all of them. */
export const LetterSelection = ReplayDeadLetters

/** A dead letter as the API shows it. */
export function letterView(l: DeadLetter) {
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
