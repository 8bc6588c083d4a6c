import { Type, type Static } from '@sinclair/typebox'
import { DomainError } from '../../core/index.ts'
import { commRuntime, commTokenVersions } from '../../schemas/db/comm.ts'
import type { ServiceApiOptions } from '../kit/service-api.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { startFeed } from './live/feed.ts'
import { createHub, type Hub } from './live/hub.ts'
import { resumeFrom, StreamQuery } from './live/routes.ts'
import { notificationStream, SSE_HEADERS } from './live/stream.ts'
import { filterOf, NotificationParams, NotificationQuery } from './notifications/model.ts'
import { listNotifications } from './notifications/read.ts'

/** The comm API's own settings, beside the kit's. */
export const CommConfig = Type.Object({
  /** How often an open notification stream gets a heartbeat (an SSE comment), in ms: below every proxy's idle timeout. @default 15000 */
  STREAM_HEARTBEAT_MS: Type.Integer({ minimum: 1, default: 15_000 }),
})
export type CommConfig = Static<typeof CommConfig>

/** The comm API with its settings: its routes, and the live feed beside them. */
export function commApiWith(settings: CommConfig): ApiDefinition {
  // One hub per running API (the deps of one start), shared by its routes and its feed.
  const hubs = new WeakMap<ServiceApiOptions, Hub>()
  const hubOf = (deps: ServiceApiOptions) => {
    let hub = hubs.get(deps)
    if (!hub) hubs.set(deps, (hub = createHub({ heartbeatMs: settings.STREAM_HEARTBEAT_MS })))
    return hub
  }
  return {
    service: 'comm',
    tables: commRuntime,
    accounts: commTokenVersions,
    routes: (app, deps) =>
      app
        .get('/notifications', ({ query, user }) => listNotifications(deps.db, user, filterOf(query)), {
          auth: true,
          query: NotificationQuery,
          detail: { summary: "The caller's notifications, newest first, paged" },
        })
        .get(
          '/notifications/stream',
          ({ request, user, server, set }) => {
            const hub = hubOf(deps)
            if (hub.closed) throw new DomainError(503, 'SHUTTING_DOWN', 'this replica is stopping; reconnect')
            const resume = resumeFrom(request.headers.get('last-event-id'))
            // A stream is idle between heartbeats: the server's idle timeout (Bun's 10 s) is not to end it.
            server?.timeout(request, 0)
            deps.log.debug('notification stream opened', { user_id: user.user_id, resumed: resume !== undefined, path: new URL(request.url).pathname })
            const body = notificationStream({ hub, db: deps.db, userId: user.user_id, resume, signal: request.signal, log: deps.log })
            return new Response(body, { headers: { ...SSE_HEADERS, 'x-request-id': String(set.headers['x-request-id']) } })
          },
          {
            auth: true,
            tokenInQuery: true,
            query: StreamQuery,
            detail: {
              summary: "The caller's new notifications as Server-Sent Events (event: notification); resumes after Last-Event-ID",
              description:
                'The token comes in the Authorization header or, for a browser EventSource, as ?access_token=. Each event\'s id is a position: sent back as Last-Event-ID, the stream first sends what was missed. Comment lines are heartbeats.',
            },
          },
        )
        .post('/notifications/:id/read', ({ params, user, send }) => send('comm.mark_notification_read', { notification_id: params.id, user_id: user.user_id }), {
          auth: true,
          params: NotificationParams,
          detail: { summary: 'Marks one of the caller’s notifications read' },
        }),
    background: (deps, broker) => startFeed({ broker, namespace: deps.config.MEDTRACK_NAMESPACE, hub: hubOf(deps), db: deps.db, log: deps.log }),
  }
}

export const commApi = commApiWith({ STREAM_HEARTBEAT_MS: 15_000 })
