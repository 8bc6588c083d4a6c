import { commRuntime, commTokenVersions } from '../../schemas/db/comm.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { folderStore, s3Store, type BlobStore } from './documents/blob-store.ts'
import { documentRoutes } from './documents/routes.ts'
import { EmailLogQuery } from './emails/model.ts'
import { listEmails } from './emails/read.ts'
import { messageRoutes } from './messages/routes.ts'
import { filterOf, NotificationParams, NotificationQuery } from './notifications/model.ts'
import { listNotifications } from './notifications/read.ts'
import { CommApiSettings, commSettingsProblems } from './settings.ts'

/** The documents' blob store the settings name: the S3 bucket when S3_* is set, else DOCUMENTS_DIR. */
function blobStoreOf(s: CommApiSettings): BlobStore {
  if (s.S3_ENDPOINT && s.S3_BUCKET && s.S3_ACCESS_KEY_ID && s.S3_SECRET_ACCESS_KEY) {
    return s3Store({ endpoint: s.S3_ENDPOINT, bucket: s.S3_BUCKET, accessKeyId: s.S3_ACCESS_KEY_ID, secretAccessKey: s.S3_SECRET_ACCESS_KEY, region: s.S3_REGION })
  }
  return folderStore(s.DOCUMENTS_DIR)
}

export const commApi: ApiDefinition<CommApiSettings> = {
  service: 'comm',
  tables: commRuntime,
  accounts: commTokenVersions,
  settings: CommApiSettings,
  settingsProblems: commSettingsProblems,
  routes: (app, { db, log }, settings) => {
    documentRoutes(app, { db, store: blobStoreOf(settings), maxBytes: settings.DOCUMENT_MAX_BYTES, log })
    messageRoutes(app, db)
    return app
      .get('/notifications', ({ query, user }) => listNotifications(db, user, filterOf(query)), { auth: true, query: NotificationQuery })
      .post('/notifications/:id/read', ({ params, user, send }) => send('comm.mark_notification_read', { notification_id: params.id, user_id: user.user_id }), {
        auth: true,
        params: NotificationParams,
      })
      .get('/emails', ({ query }) => listEmails(db, query), {
        auth: ['admin'],
        query: EmailLogQuery,
        detail: { summary: 'The log of every email any service sent or gave up, newest first (admins)' },
      })
  },
}
