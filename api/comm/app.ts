import { DomainError, describe, type Logger } from '../../core/index.ts'
import { commRuntime, commTokenVersions } from '../../schemas/db/comm.ts'
import type { ServiceApiOptions } from '../kit/service-api.ts'
import type { ApiOf, RoutesOf } from '../kit/api-type.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { folderStore, removeStaleUploads, s3Store, type BlobStore } from './documents/blob-store.ts'
import { documentRoutes } from './documents/routes.ts'
import { Type } from '@sinclair/typebox'
import { EmailLogQuery, EmailPage, emails } from './emails/model.ts'
import { listEmails } from './emails/read.ts'
import { startFeed } from './live/feed.ts'
import { createHub, type Hub } from './live/hub.ts'
import { resumeFrom, StreamQuery } from './live/routes.ts'
import { notificationStream, SSE_HEADERS } from './live/stream.ts'
import { messageRoutes } from './messages/routes.ts'
import { filterOf, NotificationPage, NotificationParams, NotificationQuery, notifications } from './notifications/model.ts'
import { listNotifications } from './notifications/read.ts'
import { CommApiSettings, commSettingsProblems } from './settings.ts'

/**
 * The documents' blob store the settings name: the S3 bucket when S3_* is
 * set, else DOCUMENTS_DIR. Made as the API starts, it has the upload files
 * an earlier run left in its incoming folder (cut short by a stop) removed.
 */
function blobStoreOf(s: CommApiSettings, log: Logger): BlobStore {
  const store =
    s.S3_ENDPOINT && s.S3_BUCKET && s.S3_ACCESS_KEY_ID && s.S3_SECRET_ACCESS_KEY
      ? s3Store({ endpoint: s.S3_ENDPOINT, bucket: s.S3_BUCKET, accessKeyId: s.S3_ACCESS_KEY_ID, secretAccessKey: s.S3_SECRET_ACCESS_KEY, region: s.S3_REGION })
      : folderStore(s.DOCUMENTS_DIR)
  removeStaleUploads(store.incoming, log).catch((err) => log.warn('could not remove leftover upload files', { folder: store.incoming, error: describe(err) }))
  return store
}

/** One hub of open streams per running API (the deps of one start), shared by its routes and its feed. */
const hubs = new WeakMap<ServiceApiOptions, Hub>()
function hubOf(deps: ServiceApiOptions, settings: CommApiSettings): Hub {
  let hub = hubs.get(deps)
  if (!hub) hubs.set(deps, (hub = createHub({ heartbeatMs: settings.STREAM_HEARTBEAT_MS })))
  return hub
}

export const commApi = {
  service: 'comm',
  tables: commRuntime,
  accounts: commTokenVersions,
  settings: CommApiSettings,
  settingsProblems: commSettingsProblems,
  routes: (app, deps, settings) => {
    const { db, log } = deps
    documentRoutes(app, { db, store: blobStoreOf(settings, log), maxBytes: settings.DOCUMENT_MAX_BYTES, log })
    messageRoutes(app, db)
    return app
      .get('/notifications', ({ query, user }) => listNotifications(db, user, filterOf(query)), {
        auth: true,
        query: NotificationQuery,
        answers: notifications.read(NotificationPage),
        detail: { summary: "The caller's notifications, newest first, paged" },
      })
      .get(
        '/notifications/stream',
        ({ request, user, server, set }) => {
          const hub = hubOf(deps, settings)
          if (hub.closed) throw new DomainError(503, 'SHUTTING_DOWN', 'this replica is stopping; reconnect')
          const resume = resumeFrom(request.headers.get('last-event-id'))
          // A stream is idle between heartbeats: the server's idle timeout (Bun's 10 s) is not to end it.
          server?.timeout(request, 0)
          log.debug('notification stream opened', { user_id: user.user_id, resumed: resume !== undefined, path: new URL(request.url).pathname })
          const body = notificationStream({ hub, db, userId: user.user_id, resume, signal: request.signal, log })
          return new Response(body, { headers: { ...SSE_HEADERS, 'x-request-id': String(set.headers['x-request-id']) } })
        },
        {
          auth: true,
          tokenInQuery: true,
          query: StreamQuery,
          answers: notifications.answers(
            { 200: Type.String({ description: 'events `notification`, each `data:` a notification as the list shows it, `id:` its position' }) },
            { media: ['text/event-stream'], refuses: { 400: 'a Last-Event-ID this stream did not send', 503: 'this replica is stopping: reconnect' } },
          ),
          detail: {
            summary: "The caller's new notifications as Server-Sent Events (event: notification); resumes after Last-Event-ID",
            description:
              "The token comes in the Authorization header or, for a browser EventSource, as ?access_token=. Each event's id is a position: sent back as Last-Event-ID, the stream first sends what was missed. Comment lines are heartbeats.",
          },
        },
      )
      .post('/notifications/:id/read', ({ params, user, send }) => send('comm.mark_notification_read', { notification_id: params.id, user_id: user.user_id }), {
        auth: true,
        params: NotificationParams,
        answers: notifications.command('comm.mark_notification_read'),
        detail: { summary: 'Marks one of the caller’s notifications read' },
      })
      .get('/emails', ({ query }) => listEmails(db, query), {
        auth: ['admin'],
        query: EmailLogQuery,
        answers: emails.read(EmailPage),
        detail: { summary: 'The log of every email any service sent or gave up, newest first (admins)' },
      })
  },
  background: (deps, broker, settings) => startFeed({ broker, namespace: deps.config.MEDTRACK_NAMESPACE, hub: hubOf(deps, settings), db: deps.db, log: deps.log }),
} satisfies ApiDefinition<CommApiSettings, 'comm'>

/** Every route of the comm API, for a typed client. */
export type CommApi = ApiOf<RoutesOf<typeof documentRoutes> & RoutesOf<typeof messageRoutes> & RoutesOf<typeof commApi.routes>>
