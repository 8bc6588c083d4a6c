import { createLogger, describe, parseConfig } from '../../core/index.ts'
import { WorkerConfig } from './config.ts'
import type { WorkerDefinition } from './define.ts'
import { startWorker } from './run.ts'

/** The whole of a worker's `main.ts`: read the environment, start, stop cleanly on SIGTERM or SIGINT. */
export async function runWorkerMain(def: WorkerDefinition): Promise<void> {
  const config = parseConfig(WorkerConfig, process.env)
  const log = createLogger({ service: `${def.service}-worker`, level: config.LOG_LEVEL })
  // Signals are caught before starting, so one that comes during start-up still stops cleanly.
  const started = startWorker(def, config, log)
  const stop = async (signal: string) => {
    log.info('signal received', { signal })
    try {
      await (await started).close()
      process.exit(0)
    } catch (err) {
      log.error('unclean shutdown', { error: describe(err) })
      process.exit(1)
    }
  }
  process.once('SIGTERM', () => void stop('SIGTERM'))
  process.once('SIGINT', () => void stop('SIGINT'))
  await started.catch((err) => {
    log.error('could not start', { error: describe(err) })
    process.exit(1)
  })
}
