import type { AsyncMessage } from 'rabbitmq-client'
import type { Outcome } from '../../core/index.ts'
import type { Metrics } from './metrics.ts'

/** What a consumer reports of each delivery once it is settled. */
export type OnOutcome = (outcome: Outcome, message: AsyncMessage, durationMs: number) => void

/**
 * The metrics of consumed messages, by queue (`events`, `commands`): how each
 * ended, the attempts that failed, and the time from delivery to ack.
 */
export function consumedMetrics(metrics: Metrics): (queue: string) => OnOutcome {
  const counted = metrics.counter('medtrack_messages_total', 'Messages consumed, by queue, type and outcome (handled, unhandled, retried, dead_lettered).')
  const failed = metrics.counter('medtrack_messages_failed_total', 'Message attempts that failed (then retried or dead-lettered).')
  const duration = metrics.histogram('medtrack_handler_duration_seconds', 'Time from delivery to ack, including the transaction.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])
  return (queue) => (outcome, message, ms) => {
    const labels = { queue, type: message.type ?? 'unknown' }
    counted({ ...labels, outcome: outcome === 'dead' ? 'dead_lettered' : outcome })
    if (outcome === 'retried' || outcome === 'dead') failed(labels)
    duration({ queue }, ms / 1000)
  }
}
