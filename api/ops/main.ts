import { runApiMain } from '../kit/main.ts'
import { opsApi } from './app.ts'

await runApiMain(opsApi)
