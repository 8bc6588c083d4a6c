import { createLogger, runUntilSignalled, settingsOrExit } from '../../core/index.ts'
import { ApiConfig, secretProblems } from './config.ts'
import { startApi, type ApiDefinition } from './start.ts'

/** The whole of an API's `main.ts`: read the environment, listen, stop cleanly on SIGTERM or SIGINT. */
export async function runApiMain(def: ApiDefinition): Promise<void> {
  const config = settingsOrExit(ApiConfig, process.env, `${def.service}-api`)
  const log = createLogger({ service: `${def.service}-api`, level: config.LOG_LEVEL })
  const refused = secretProblems(config)
  if (refused.length > 0) {
    for (const r of refused) log.error(r)
    process.exit(1)
  }
  await runUntilSignalled(log, () => startApi(def, config, log))
}
