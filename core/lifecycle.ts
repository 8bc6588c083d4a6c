import process from 'node:process'
import type { Static, TObject } from '@sinclair/typebox'
import { ConfigError, parseConfig } from './config.ts'
import { describe } from './errors.ts'
import { createLogger, type Logger } from './logger.ts'

/**
 * The settings of a process, from its environment (`parseConfig`). Wrong
 * ones end it at once with one log line naming each (exit 1), not a stack
 * trace: what an operator who mistyped a setting needs to read.
 */
export function settingsOrExit<T extends TObject>(schema: T, env: Record<string, string | undefined>, service: string): Static<T> {
  try {
    return parseConfig(schema, env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    createLogger({ service }).error('invalid configuration', { problems: err.problems.map((p) => `${p.path.slice(1)}: ${p.message}`) })
    process.exit(1)
  }
}

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
