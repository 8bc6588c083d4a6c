import { coreRuntime, coreTokenVersions } from '../../schemas/db/core.ts'
import { defineWorker } from '../kit/define.ts'
import { tokenVersionHandlers } from '../kit/token-versions.ts'
import { studentCreated } from './handlers/student-created.ts'
import { studentDeleted } from './handlers/student-deleted.ts'
import { studentUpdated } from './handlers/student-updated.ts'

export const coreWorker = defineWorker({
  service: 'core',
  tables: coreRuntime,
  events: { 'student.created': studentCreated, 'student.updated': studentUpdated, 'student.deleted': studentDeleted, ...tokenVersionHandlers(coreTokenVersions) },
})
