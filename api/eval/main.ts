import { runApiMain } from '../kit/main.ts'
import { evalApi } from './app.ts'

await runApiMain(evalApi)
