import { eq } from 'drizzle-orm'
import type { AsyncMessage } from 'rabbitmq-client'
import { describe, Names, readAnyEvent, withTimeout, type BrokerConnection, type Database, type Logger } from '../../../core/index.ts'
import { notifications } from '../../../schemas/db/comm.ts'
import type { NotificationCreated } from '../../../schemas/events/comm.ts'
import { notificationView, type NotificationView } from '../../../schemas/views/notifications.ts'
import type { Background } from '../../kit/start.ts'
import type { Hub } from './hub.ts'

export interface FeedOptions {
  broker: BrokerConnection
  namespace: string
  hub: Hub
  db: Database
  log: Logger
}

const STARTUP_WAIT_MS = 3_000

/** The view a `notification.created` shows, when it carries its body and time (comm's own do); else undefined. */
function viewOf(p: NotificationCreated): NotificationView | undefined {
  if (p.body === undefined || p.created_at === undefined) return undefined
  return {
    id: p.notification_id,
    user_id: p.user_id,
    type: p.type as NotificationView['type'],
    title: p.title,
    body: p.body,
    related_type: (p.related_type ?? null) as NotificationView['related_type'],
    related_id: p.related_id ?? null,
    read: false,
    read_at: null,
    created_at: new Date(p.created_at).toISOString(),
  }
}

/**
 * This replica's share of `notification.created`: a queue of its own
 * (server-named, exclusive, deleted with its connection) bound on the events
 * exchange, each notification handed to the hub for its user's streams. The
 * queue does not outlive a lost connection, so when the consumer comes back
 * every stream is ended: its client resumes from its Last-Event-ID, from the
 * table. Acks are not asked for: a notification this replica missed is in
 * the table for the next replay.
 */
export async function startFeed(o: FeedOptions): Promise<Background> {
  const exchange = new Names(o.namespace).events
  const handle = async (message: AsyncMessage) => {
    // A body that is no envelope is refused with its reason (in the log); a payload is checked field by field below.
    const p = readAnyEvent(message).payload as NotificationCreated
    if (typeof p?.user_id !== 'string' || typeof p.notification_id !== 'string') return
    const view = viewOf(p)
    if (view) return o.hub.deliver(view)
    // Another producer's, without what a stream shows: read back from the table.
    const [row] = await o.db.select().from(notifications).where(eq(notifications.id, p.notification_id))
    if (row) o.hub.deliver(notificationView(row))
  }
  let readyBefore = false
  const consumer = o.broker.createConsumer(
    {
      queue: '',
      noAck: true,
      queueOptions: { exclusive: true, autoDelete: true },
      exchanges: [{ exchange, type: 'topic', durable: true }],
      queueBindings: [{ exchange, routingKey: 'notification.created' }],
    },
    (message) =>
      handle(message).catch((err) => o.log.warn('a live notification could not be delivered; its streams get it on their next replay', { error: describe(err) })),
  )
  consumer.on('error', (err) => o.log.warn('live notification consumer error', { error: describe(err) }))
  consumer.on('ready', () => {
    if (readyBefore) {
      o.log.info('live notification queue declared again; streams ended to resume from the table', { streams: o.hub.size })
      o.hub.endAll()
    }
    readyBefore = true
  })
  await withTimeout(new Promise((resolve) => consumer.once('ready', resolve)), STARTUP_WAIT_MS).catch(() =>
    o.log.warn('live notification queue not declared at start; streams get live notifications once it is'),
  )
  return {
    async stop() {
      o.hub.endAll({ close: true })
      await consumer.close()
    },
  }
}
