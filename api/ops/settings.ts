import { Type, type Static } from '@sinclair/typebox'
import { DEFAULT_RETRY_TIERS, SERVICES, workerPort, type Service } from '../../core/index.ts'

const Url = Type.String({ pattern: '^https?://' })

/** `AUTH_WORKER_URL`…: where each worker's /applied and /metrics are, on its own port unless told. */
const workerUrls = Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_WORKER_URL`, Type.String({ ...Url, default: `http://127.0.0.1:${workerPort(s)}` })]))

/** The ops API's own settings, beside every API's: where the workers are, how often queues are sampled. */
export const OpsApiSettings = Type.Object({
  ...workerUrls,
  /** How often the queues' depths and the workers' counters are sampled, in ms; the last 10 minutes are kept. @default 5000 */
  OPS_SAMPLE_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  /** How long a worker has to answer what it applied (or its metrics) before it is left out as unreachable, in ms. @default 1000 */
  WORKER_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 1_000 }),
  /** The workers' retry delays in ms, comma-separated, as they are given them: names the retry queues. Empty for 1s,5s,30s,2m,10m. */
  RETRY_TIERS: Type.String({ default: '', pattern: '^(\\d+(,\\d+)*)?$' }),
})
export type OpsApiSettings = Static<typeof OpsApiSettings> & Record<`${Uppercase<Service>}_WORKER_URL`, string>

/** Each service's worker base URL, from the settings. */
export const workerUrlsOf = (s: OpsApiSettings): Record<Service, string> =>
  Object.fromEntries(SERVICES.map((service) => [service, s[`${service.toUpperCase() as Uppercase<Service>}_WORKER_URL`]])) as Record<Service, string>

/** The retry tiers the workers run with. */
export const retryTiersOf = (s: OpsApiSettings): readonly number[] => (s.RETRY_TIERS ? s.RETRY_TIERS.split(',').map(Number) : DEFAULT_RETRY_TIERS)
