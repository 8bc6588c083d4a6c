import { runApiMain } from '../kit/main.ts'
import { coreApi } from './app.ts'

await runApiMain(coreApi)
