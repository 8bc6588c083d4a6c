import { createLogger, describe, parseConfig } from '../../core/index.ts'
import { ApiConfig, productionProblems } from './config.ts'
import { startApi, type ApiDefinition } from './start.ts'

/** The whole of an API's `main.ts`: read the environment, listen, stop cleanly on SIGTERM or SIGINT. */
export async function runApiMain(def: ApiDefinition): Promise<void> {
  const config = parseConfig(ApiConfig, process.env)
  const log = createLogger({ service: `${def.service}-api`, level: config.LOG_LEVEL })
  const refused = productionProblems(config)
  if (refused.length > 0) {
    for (const r of refused) log.error(r)
    process.exit(1)
  }
  // Signals are caught before starting, so one that comes during start-up still stops cleanly.
  const started = startApi(def, config, log)
  const stop = async () => {
    await (await started).stop()
    process.exit(0)
  }
  process.once('SIGTERM', () => void stop())
  process.once('SIGINT', () => void stop())
  await started.catch((err) => {
    log.error('could not start', { error: describe(err) })
    process.exit(1)
  })
}
