import { runApiMain } from '../kit/main.ts'
import { profileApi } from './app.ts'

await runApiMain(profileApi)
