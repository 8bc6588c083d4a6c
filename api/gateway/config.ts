import { Type, type Static } from '@sinclair/typebox'
import { GATEWAY_PORT, type Service } from '../../core/index.ts'

const Url = Type.String({ pattern: '^https?://' })

/** Every setting the gateway reads from the environment (docs/operations.md, Settings). */
export const GatewayConfig = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  /** @default 8080 */
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: GATEWAY_PORT }),
  /** The public origin listens on every interface by default. */
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/medtrack' }),
  RABBITMQ_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  MEDTRACK_NAMESPACE: Type.String({ default: '' }),
  AUTH_API_URL: Type.String({ ...Url, default: 'http://127.0.0.1:3001' }),
  PROFILE_API_URL: Type.String({ ...Url, default: 'http://127.0.0.1:3002' }),
  CORE_API_URL: Type.String({ ...Url, default: 'http://127.0.0.1:3003' }),
  COMM_API_URL: Type.String({ ...Url, default: 'http://127.0.0.1:3004' }),
  EVAL_API_URL: Type.String({ ...Url, default: 'http://127.0.0.1:3005' }),
  OPS_API_URL: Type.String({ ...Url, default: 'http://127.0.0.1:3006' }),
  /**
   * Web pages of other origins allowed to call the APIs from a browser: a comma-separated list
   * (`http://localhost:5173,https://app.example.org`) or `*`. Empty (the default): same origin only.
   */
  CORS_ORIGINS: Type.String({ default: '' }),
  /**
   * Addresses of the proxies in front of the gateway (a load balancer, say), comma-separated:
   * a request from one of them keeps its X-Forwarded-For, the gateway appending the proxy's address.
   * From anyone else X-Forwarded-For is what the gateway saw: the socket's address. @default '' (none)
   */
  TRUSTED_PROXIES: Type.String({ default: '' }),
  /** How long an upstream API may take to start answering before the gateway answers 504. @default 30000 */
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 30_000 }),
  /** How long an API key lookup is reused: a revoked key stops working within this time. @default 2000 */
  KEY_CACHE_MS: Type.Integer({ minimum: 0, default: 2_000 }),
  /** How long auth's answer on a bearer token is reused: tokens retired by a password change stop working within this time. @default 5000 */
  SESSION_CACHE_MS: Type.Integer({ minimum: 0, default: 5_000 }),
  /** How long to wait for the broker's confirm of an external event before answering 503. @default 5000 */
  PUBLISH_CONFIRM_MS: Type.Integer({ minimum: 1, default: 5_000 }),
  LOG_LEVEL: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], { default: 'info' }),
  /**
   * Bun's own: how many fetches the process makes at once, read when it starts. The gateway makes one
   * upstream for every request it forwards, and holds it for an open notification stream's whole
   * life: past this many streams every forwarded request waits. @default 256
   */
  BUN_CONFIG_MAX_HTTP_REQUESTS: Type.Integer({ minimum: 1, default: 256 }),
})
export type GatewayConfig = Static<typeof GatewayConfig>

/** Base URL of each service API. */
export function upstreamUrls(config: GatewayConfig): Record<Service, string> {
  return {
    auth: config.AUTH_API_URL,
    profile: config.PROFILE_API_URL,
    core: config.CORE_API_URL,
    comm: config.COMM_API_URL,
    eval: config.EVAL_API_URL,
    ops: config.OPS_API_URL,
  }
}
