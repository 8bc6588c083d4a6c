import { runWorkerMain } from '../kit/main.ts'
import { coreWorker } from './worker.ts'

await runWorkerMain(coreWorker)
