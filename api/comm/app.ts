import { commRuntime, commTokenVersions } from '../../schemas/db/comm.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { EmailLogQuery } from './emails/model.ts'
import { listEmails } from './emails/read.ts'
import { filterOf, NotificationParams, NotificationQuery } from './notifications/model.ts'
import { listNotifications } from './notifications/read.ts'

export const commApi: ApiDefinition = {
  service: 'comm',
  tables: commRuntime,
  accounts: commTokenVersions,
  routes: (app, { db }) =>
    app
      .get('/notifications', ({ query, user }) => listNotifications(db, user, filterOf(query)), { auth: true, query: NotificationQuery })
      .post('/notifications/:id/read', ({ params, user, send }) => send('comm.mark_notification_read', { notification_id: params.id, user_id: user.user_id }), {
        auth: true,
        params: NotificationParams,
      })
      .get('/emails', ({ query }) => listEmails(db, query), {
        auth: ['admin'],
        query: EmailLogQuery,
        detail: { summary: 'The log of every email any service sent or gave up, newest first (admins)' },
      }),
}
