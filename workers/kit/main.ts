import { createLogger, runUntilSignalled, settingsOrExit } from '../../core/index.ts'
import { settingsProblems, WorkerConfig } from './config.ts'
import type { WorkerDefinition } from './define.ts'
import { startWorker } from './run.ts'

/** The whole of a worker's `main.ts`: read the environment, start, stop cleanly on SIGTERM or SIGINT. */
export async function runWorkerMain(def: WorkerDefinition): Promise<void> {
  const config = settingsOrExit(WorkerConfig, process.env, `${def.service}-worker`)
  const log = createLogger({ service: `${def.service}-worker`, level: config.LOG_LEVEL })
  const problems = settingsProblems(config)
  if (problems.length > 0) {
    log.error('invalid configuration', { problems })
    process.exit(1)
  }
  await runUntilSignalled(log, async () => {
    const worker = await startWorker(def, config, log)
    return { stop: () => worker.close() }
  })
}
