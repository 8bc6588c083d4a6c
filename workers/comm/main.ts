import { runWorkerMain } from '../kit/main.ts'
import { commWorker } from './worker.ts'

await runWorkerMain(commWorker)
