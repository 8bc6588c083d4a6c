import { createLogger, runUntilSignalled, settingsOrExit } from '../../core/index.ts'
import { apiSettingsSchema, secretProblems, type ApiConfig } from './config.ts'
import { startApi, type ApiDefinition } from './start.ts'

/** The whole of an API's `main.ts`: read the environment, listen, stop cleanly on SIGTERM or SIGINT. */
export async function runApiMain<S, N extends string>(def: ApiDefinition<S, N>): Promise<void> {
  const config = settingsOrExit(apiSettingsSchema(def.settings), process.env, `${def.service}-api`) as ApiConfig & S
  const log = createLogger({ service: `${def.service}-api`, level: config.LOG_LEVEL })
  const refused = [...secretProblems(config), ...(def.settingsProblems?.(config) ?? [])]
  if (refused.length > 0) {
    for (const r of refused) log.error(r)
    process.exit(1)
  }
  await runUntilSignalled(log, () => startApi(def, config, log))
}
