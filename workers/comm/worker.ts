import { commEmails, commRuntime, commTokenVersions } from '../../schemas/db/comm.ts'
import { defineWorker } from '../kit/define.ts'
import { emailSender, type Mailer } from '../kit/email-sender.ts'
import { tokenVersionHandlers } from '../kit/token-versions.ts'
import { encadrantCreated } from './handlers/encadrant-created.ts'
import { encadrantUpdated } from './handlers/encadrant-updated.ts'
import { emailFailed, emailSent } from './handlers/email-reported.ts'
import { evaluationCreated } from './handlers/evaluation-created.ts'
import { gradeAssigned } from './handlers/grade-assigned.ts'
import { markMessageRead } from './handlers/mark-message-read.ts'
import { markNotificationRead } from './handlers/mark-notification-read.ts'
import { registerDocument } from './handlers/register-document.ts'
import { sendMessage } from './handlers/send-message.ts'
import { stageChanged } from './handlers/stage-changed.ts'
import { studentCreated } from './handlers/student-created.ts'
import { studentDeleted } from './handlers/student-deleted.ts'
import { studentUpdated } from './handlers/student-updated.ts'
import type { CommSettings } from './settings.ts'

/**
 * Who is who (students, encadrants, stages) from their events, a notification
 * for each user at each step, the important ones mailed through comm's email
 * outbox, the log of every email any service sent or gave up, the messages
 * between users and the students' documents.
 */
export const commWorker = (settings: CommSettings, mailer?: Mailer) =>
  defineWorker({
    service: 'comm',
    tables: commRuntime,
    events: {
      'student.created': studentCreated,
      'student.updated': studentUpdated,
      'student.deleted': studentDeleted,
      'encadrant.created': encadrantCreated,
      'encadrant.updated': encadrantUpdated,
      'stage.created': stageChanged('stage.created'),
      'stage.accepted': stageChanged('stage.accepted'),
      'stage.started': stageChanged('stage.started'),
      'stage.completed': stageChanged('stage.completed'),
      'stage.cancelled': stageChanged('stage.cancelled'),
      'evaluation.created': evaluationCreated,
      'grade.assigned': gradeAssigned,
      'email.sent': emailSent,
      'email.failed': emailFailed,
      ...tokenVersionHandlers(commTokenVersions),
    },
    commands: {
      'comm.mark_notification_read': markNotificationRead,
      'comm.send_message': sendMessage,
      'comm.mark_message_read': markMessageRead,
      'comm.register_document': registerDocument,
    },
    background: [emailSender(commEmails, settings, mailer)],
  })
