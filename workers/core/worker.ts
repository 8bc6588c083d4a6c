import { coreRuntime } from '../../schemas/db/core.ts'
import { defineWorker } from '../kit/define.ts'
import { studentCreated } from './handlers/student-created.ts'

export const coreWorker = defineWorker({
  service: 'core',
  tables: coreRuntime,
  events: { 'student.created': studentCreated },
})
