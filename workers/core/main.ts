import { settingsOrExit } from '../../core/index.ts'
import { runWorkerMain } from '../kit/main.ts'
import { CoreSettings } from './settings.ts'
import { coreWorker } from './worker.ts'

await runWorkerMain(coreWorker(settingsOrExit(CoreSettings, process.env, 'core-worker')))
