import { runApiMain } from '../kit/main.ts'
import { authApi } from './app.ts'

await runApiMain(authApi)
