import { runApiMain } from '../kit/main.ts'
import { commApi } from './app.ts'

await runApiMain(commApi)
