import { createLogger, parseConfig, runUntilSignalled } from '../../core/index.ts'
import { GatewayConfig } from './config.ts'
import { startGateway } from './start.ts'

const config = parseConfig(GatewayConfig, process.env)
const log = createLogger({ service: 'gateway', level: config.LOG_LEVEL })
await runUntilSignalled(log, () => startGateway(config, log))
