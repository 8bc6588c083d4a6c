import { runWorkerMain } from '../kit/main.ts'
import { evalWorker } from './worker.ts'

await runWorkerMain(evalWorker)
