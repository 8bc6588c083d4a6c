import { runWorkerMain } from '../kit/main.ts'
import { profileWorker } from './worker.ts'

await runWorkerMain(profileWorker)
