import { settingsOrExit } from '../../core/index.ts'
import { runWorkerMain } from '../kit/main.ts'
import { OpsSettings } from './settings.ts'
import { opsWorker } from './worker.ts'

await runWorkerMain(opsWorker(settingsOrExit(OpsSettings, process.env, 'ops-worker')))
