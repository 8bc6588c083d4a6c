import { createLogger, describe, parseConfig } from '../../core/index.ts'
import { GatewayConfig } from './config.ts'
import { startGateway } from './start.ts'

const config = parseConfig(GatewayConfig, process.env)
const log = createLogger({ service: 'gateway', level: config.LOG_LEVEL })
// Signals are caught before starting, so one that comes during start-up still stops cleanly.
const started = startGateway(config, log)

const stop = async (signal: string) => {
  log.info('signal received', { signal })
  try {
    await (await started).stop()
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
