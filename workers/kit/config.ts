import { Type, type Static } from '@sinclair/typebox'
import { DEFAULT_RETRY_TIERS } from '../../core/index.ts'

/** Every setting a worker reads from the environment (DESIGN.md §9). */
export const WorkerConfig = Type.Object({
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/medtrack' }),
  RABBITMQ_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  MEDTRACK_NAMESPACE: Type.String({ default: '' }),
  /** Port of /health, /ready, /metrics and /applied; 0 picks a free one. @default the service's port: auth 3101, profile 3102, core 3103, comm 3104, eval 3105, ops 3106 */
  PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  /** Address of /health, /ready and /metrics: this machine only unless told (containers set 0.0.0.0). */
  HOST: Type.String({ default: '127.0.0.1' }),
  LOG_LEVEL: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], { default: 'info' }),
  /** Messages in flight per queue; also the largest batch. */
  PREFETCH: Type.Integer({ minimum: 1, default: 200 }),
  /** Transactions running at once (and database connections beyond the relay's). */
  BATCH_CONCURRENCY: Type.Integer({ minimum: 1, default: 2 }),
  /** Retry delays in milliseconds, comma-separated; empty for 1s,5s,30s,2m,10m. */
  RETRY_TIERS: Type.String({ default: '', pattern: '^(\\d+(,\\d+)*)?$' }),
  RELAY_INTERVAL_MS: Type.Integer({ minimum: 10, default: 1_000 }),
  /** Committed events not yet confirmed by the broker past which the worker takes no more messages until it catches up. @default 2000 */
  OUTBOX_MAX_PENDING: Type.Integer({ minimum: 1, default: 2_000 }),
  /** Outbox rows unsent for this long are republished by the relay. */
  RELAY_AFTER_MS: Type.Integer({ minimum: 0, default: 5_000 }),
  /**
   * How long inbox rows (and sent outbox rows) are kept: longer than any copy of
   * a message can come back, so at least the whole retry chain (the sum of the
   * retry tiers) plus REPLAY_WINDOW (a day) for an operator to replay a dead letter. A
   * command's result is kept for good, so its id (an Idempotency-Key) is
   * honoured for ever, whatever this says. @default 604800000 (7 days)
   */
  INBOX_RETENTION_MS: Type.Integer({ minimum: 60_000, default: 7 * 86_400_000 }),
})
export type WorkerConfig = Static<typeof WorkerConfig>

export function retryTiers(config: WorkerConfig): number[] | undefined {
  return config.RETRY_TIERS ? config.RETRY_TIERS.split(',').map(Number) : undefined
}

/** The time an operator has to replay a dead letter while consumers still know its id. */
export const REPLAY_WINDOW_MS = 86_400_000

/** What in the settings contradicts itself: an inbox that forgets a message before its last copy can come back. */
export function settingsProblems(config: WorkerConfig): string[] {
  const chain = (retryTiers(config) ?? DEFAULT_RETRY_TIERS).reduce((a, b) => a + b, 0)
  const needed = chain + REPLAY_WINDOW_MS
  return config.INBOX_RETENTION_MS < needed
    ? [`INBOX_RETENTION_MS: must be at least ${needed} (the retry chain, ${chain} ms, plus a day to replay a dead letter), or a message retried or replayed after its id is forgotten is applied twice`]
    : []
}
