import { settingsOrExit } from '../../core/index.ts'
import { runApiMain } from '../kit/main.ts'
import { CommConfig, commApiWith } from './app.ts'

await runApiMain(commApiWith(settingsOrExit(CommConfig, process.env, 'comm-api')))
