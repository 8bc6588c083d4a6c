import { settingsOrExit } from '../../core/index.ts'
import { runWorkerMain } from '../kit/main.ts'
import { AuthSettings } from './settings.ts'
import { authWorker } from './worker.ts'

await runWorkerMain(authWorker(settingsOrExit(AuthSettings, process.env, 'auth-worker')))
