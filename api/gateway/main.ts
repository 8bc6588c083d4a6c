import { createLogger, runUntilSignalled, settingsOrExit } from '../../core/index.ts'
import { GatewayConfig } from './config.ts'
import { startGateway } from './start.ts'

const config = settingsOrExit(GatewayConfig, process.env, 'gateway')
const log = createLogger({ service: 'gateway', level: config.LOG_LEVEL })
await runUntilSignalled(log, () => startGateway(config, log))
