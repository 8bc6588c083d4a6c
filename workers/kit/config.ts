import { Type, type Static } from '@sinclair/typebox'

/** Every setting a worker reads from the environment (DESIGN.md §9). */
export const WorkerConfig = Type.Object({
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/medtrack' }),
  RABBITMQ_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  MEDTRACK_NAMESPACE: Type.String({ default: '' }),
  /** Port of /health, /ready and /metrics; 0 picks a free one. @default the service's port: auth 3101, profile 3102, core 3103, comm 3104, eval 3105 */
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
  /** Outbox rows unsent for this long are republished by the relay. */
  RELAY_AFTER_MS: Type.Integer({ minimum: 0, default: 5_000 }),
  /** How long inbox rows (and sent outbox rows) are kept: longer than any redelivery can come. */
  INBOX_RETENTION_MS: Type.Integer({ minimum: 60_000, default: 86_400_000 }),
})
export type WorkerConfig = Static<typeof WorkerConfig>

export function retryTiers(config: WorkerConfig): number[] | undefined {
  return config.RETRY_TIERS ? config.RETRY_TIERS.split(',').map(Number) : undefined
}
