import { commRuntime, commTokenVersions } from '../../schemas/db/comm.ts'
import { defineWorker } from '../kit/define.ts'
import { tokenVersionHandlers } from '../kit/token-versions.ts'
import { markNotificationRead } from './handlers/mark-notification-read.ts'
import { studentCreated } from './handlers/student-created.ts'
import { studentDeleted } from './handlers/student-deleted.ts'
import { studentUpdated } from './handlers/student-updated.ts'

export const commWorker = defineWorker({
  service: 'comm',
  tables: commRuntime,
  events: { 'student.created': studentCreated, 'student.updated': studentUpdated, 'student.deleted': studentDeleted, ...tokenVersionHandlers(commTokenVersions) },
  commands: { 'comm.mark_notification_read': markNotificationRead },
})
