import process from 'node:process'
import { describe } from './errors.ts'
import type { Logger } from './logger.ts'

/**
 * The life of a process: starts it, and on the first SIGTERM or SIGINT stops
 * what it started and exits 0 (1 when stopping failed). Later signals wait for
 * the same stop; a signal during start-up stops once start-up is done. A start
 * that fails is logged and exits 1.
 */
export async function runUntilSignalled(log: Logger, start: () => Promise<{ stop(): Promise<void> }>): Promise<void> {
  const started = start()
  let stopping: Promise<never> | undefined
  const stop = (signal: string) => {
    stopping ??= (async () => {
      log.info('signal received', { signal })
      try {
        await (await started).stop()
        process.exit(0)
      } catch (err) {
        log.error('unclean shutdown', { error: describe(err) })
        process.exit(1)
      }
    })()
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  await started.catch((err) => {
    log.error('could not start', { error: describe(err) })
    process.exit(1)
  })
}
