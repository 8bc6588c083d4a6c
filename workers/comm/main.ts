import { settingsOrExit } from '../../core/index.ts'
import { runWorkerMain } from '../kit/main.ts'
import { CommSettings } from './settings.ts'
import { commWorker } from './worker.ts'

await runWorkerMain(commWorker(settingsOrExit(CommSettings, process.env, 'comm-worker')))
