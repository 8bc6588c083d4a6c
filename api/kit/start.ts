import type { TObject } from '@sinclair/typebox'
import type { AnyElysia } from 'elysia'
import { apiPort, BrokerConnection, createCommandDispatcher, createLogger, declareTopology, describe, openDatabase, withTimeout, type Database, type Logger } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import type { RuntimeTables, TokenVersionsTable } from '../../schemas/db/runtime.ts'
import { tokenVersionLookup, type AccountLookup } from './accounts.ts'
import type { ApiConfig } from './config.ts'
import { SERVER_BODY_CAP } from './errors.ts'
import { sharedJwtSecret } from './secret.ts'
import { createServiceApi, type ServiceApi, type ServiceApiOptions } from './service-api.ts'

/** An API of the service N (its routes under `/N/api`), its own settings S. */
export interface ApiDefinition<S = {}, N extends string = string> {
  service: N
  /** Settings of the service's own (a TypeBox object), read from the environment and checked with ApiConfig's at start. */
  settings?: TObject
  /** What is wrong with the settings beyond their schema (one setting needing another, say): the API does not start with any. */
  settingsProblems?(settings: S): string[]
  tables: RuntimeTables
  /**
   * Where the API learns whether a token is still its account's: the token versions its worker keeps
   * (read with ACCOUNT_CACHE_MS), or a lookup of its own (auth reads its users).
   */
  accounts: TokenVersionsTable | ((db: Database) => AccountLookup)
  /** Adds the service's routes to the kit's app; `settings` are its own, parsed. */
  routes(app: ServiceApi<N>, deps: ServiceApiOptions<N>, settings: S): AnyElysia
  /**
   * What the service runs beside its routes (a broker consumer feeding them, say), given the same
   * `deps` its routes were: started once the app is made, before it listens; stopped first on
   * SIGTERM, before the app closes, so that what it holds open ends while the app still answers.
   */
  background?(deps: ServiceApiOptions<N>, broker: BrokerConnection, settings: S): Promise<Background>
}

/** A service's running background part. */
export interface Background {
  stop(): Promise<void>
}

const STARTUP_WAIT_MS = 3_000

export interface RunningApi {
  port: number
  stop(): Promise<void>
}

/** Connects, declares the service's queues (so no command is unroutable while its worker is down), and listens. */
export async function startApi<S, N extends string>(def: ApiDefinition<S, N>, config: ApiConfig & S, logger?: Logger): Promise<RunningApi> {
  const log = logger ?? createLogger({ service: `${def.service}-api`, level: config.LOG_LEVEL })
  const db = openDatabase(config.DATABASE_URL, { max: 4 })
  const connection = new BrokerConnection({ url: config.RABBITMQ_URL, connectionName: `${def.service}-api`, acquireTimeout: 2_000, retryLow: 200, retryHigh: 5_000 })
  connection.on('error', (err) => log.warn('broker connection error', { error: describe(err) }))
  // Declared on every (re)connection, so a command is routable even while the worker has never run.
  let declaredOnce: () => void = () => {}
  const declared = new Promise<void>((resolve) => (declaredOnce = resolve))
  connection.on('connection', () => {
    // The retry tiers are the worker's to declare (their delays are its settings).
    declareTopology(connection, { namespace: config.MEDTRACK_NAMESPACE, services: [def.service], commands: commandBindings(), retryTiers: [] })
      .then(() => declaredOnce())
      .catch((err) => log.warn('could not declare topology', { error: describe(err) }))
  })
  // Listen once the queues exist; with the broker away, listen anyway after a moment (commands get 503).
  await withTimeout(declared, STARTUP_WAIT_MS).catch(() => log.warn('broker not reachable at start; commands answer 503 until it is'))
  const dispatcher = createCommandDispatcher({ connection, namespace: config.MEDTRACK_NAMESPACE, waitMs: config.COMMAND_WAIT_MS })
  // Read before listening: an API that cannot tell whose tokens are valid does not start.
  const jwtSecret = config.JWT_SECRET ?? (await sharedJwtSecret(db))
  const accounts = typeof def.accounts === 'function' ? def.accounts(db) : tokenVersionLookup(db, def.accounts, { cacheMs: config.ACCOUNT_CACHE_MS })
  const deps: ServiceApiOptions<N> = { service: def.service, config, jwtSecret, dispatcher, db, tables: def.tables, accounts, log, brokerReady: () => connection.ready }
  const app = def.routes(createServiceApi(deps), deps, config)
  const background = await def.background?.(deps, connection, config)
  app.listen({ port: config.PORT ?? apiPort(def.service), hostname: config.HOST, maxRequestBodySize: SERVER_BODY_CAP })
  const port = app.server!.port!
  log.info('api listening', { port, prefix: `/${def.service}/api` })
  return {
    port,
    async stop() {
      await background?.stop()
      await app.stop()
      await dispatcher.close()
      await db.$client.end({ timeout: 5 })
      await connection.close()
      log.info('api stopped')
    },
  }
}
