import { BrokerConnection, createPublisher, describe, Names, openDatabase, withTimeout, type Logger } from '../../core/index.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { SERVER_BODY_CAP } from '../kit/errors.ts'
import { createGateway } from './app.ts'
import type { GatewayConfig } from './config.ts'

const STARTUP_WAIT_MS = 3_000
/** At or under this many fetches at once (Bun's default is 256), the gateway says so when it starts. */
const STREAMS_WARNING = 1_024

export interface RunningGateway {
  port: number
  /** Stops listening, then closes the publisher, the database pool and the broker connection. */
  stop(): Promise<void>
}

/**
 * Connects to the database and the broker, declares the events exchange (so an
 * external event is routable even before any worker ran) and listens. With the
 * broker away it listens anyway: publishing answers 503 until the broker is back.
 */
export async function startGateway(config: GatewayConfig, log: Logger): Promise<RunningGateway> {
  const db = openDatabase(config.DATABASE_URL, { max: 4 })
  const connection = new BrokerConnection({ url: config.RABBITMQ_URL, connectionName: 'gateway', acquireTimeout: 2_000, retryLow: 200, retryHigh: 5_000 })
  connection.on('error', (err) => log.warn('broker connection error', { error: describe(err) }))
  const exchange = new Names(config.MEDTRACK_NAMESPACE).events
  let declaredOnce: () => void = () => {}
  const declared = new Promise<void>((resolve) => (declaredOnce = resolve))
  connection.on('connection', () => {
    connection
      .exchangeDeclare({ exchange, type: 'topic', durable: true })
      .then(() => declaredOnce())
      .catch((err) => log.warn('could not declare the events exchange', { exchange, error: describe(err) }))
  })
  await withTimeout(declared, STARTUP_WAIT_MS).catch(() => log.warn('broker not reachable at start; publishing answers 503 until it is'))

  const publisher = createPublisher({ connection, catalogue, service: 'gateway', namespace: config.MEDTRACK_NAMESPACE, confirmTimeoutMs: config.PUBLISH_CONFIRM_MS })
  const app = createGateway({ config, db, publisher, log, brokerReady: () => connection.ready })
  app.listen({ port: config.PORT, hostname: config.HOST, maxRequestBodySize: SERVER_BODY_CAP })
  const port = app.server?.port ?? config.PORT
  log.info('api listening', { port })
  if (config.BUN_CONFIG_MAX_HTTP_REQUESTS <= STREAMS_WARNING) {
    log.warn('at most this many requests are forwarded at once, open notification streams included; set BUN_CONFIG_MAX_HTTP_REQUESTS higher', { max: config.BUN_CONFIG_MAX_HTTP_REQUESTS })
  }
  return {
    port,
    async stop() {
      await app.stop()
      await publisher.close()
      await db.$client.end({ timeout: 5 })
      await connection.close()
      log.info('api stopped')
    },
  }
}
