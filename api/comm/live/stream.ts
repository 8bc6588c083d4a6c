import { describe, type Database, type Logger } from '../../../core/index.ts'
import type { NotificationView } from '../../../schemas/views/notifications.ts'
import { cursorAt, encodeCursor, note, REPLAY_WINDOW_MS, replayFrom, sent, type Cursor } from './cursor.ts'
import type { Hub, Subscriber } from './hub.ts'
import { recentNotifications, replayNotifications } from './replay.ts'

export interface StreamOptions {
  hub: Hub
  db: Database
  userId: string
  /** Where the client was (its Last-Event-ID); undefined for a first connection, which gets only what is new. */
  resume?: Cursor
  /** Aborted when the client goes away. */
  signal: AbortSignal
  log: Logger
}

/** How long a browser's EventSource waits before it reconnects, in ms. */
const RETRY_MS = 1_000

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // nginx and the like would otherwise hold the stream back in their buffers.
  'x-accel-buffering': 'no',
}

/**
 * The body of one caller's notification stream. It subscribes first, then
 * replays from the table what the client missed (or, on a first connection,
 * only notes what is already there), holding back live notifications
 * meanwhile; then it sends those held back and every later one, each once:
 * a notification its cursor says was sent is dropped.
 */
export function notificationStream(o: StreamOptions): ReadableStream<Uint8Array> {
  /** Bun's direct controller: text written straight to the socket, without a queue of chunks per stream. */
  let controller!: { write(text: string): unknown; flush(): unknown; close(): unknown }
  let done: () => void = () => {}
  let cursor: Cursor = o.resume ?? cursorAt(Date.now())
  let held: NotificationView[] | undefined = []
  let ended = false

  const write = (text: string) => {
    if (ended) return
    try {
      controller.write(text)
      controller.flush()
    } catch {
      finish()
    }
  }
  const send = (view: NotificationView) => {
    if (sent(cursor, view.id)) return
    note(cursor, Date.parse(view.created_at), view.id)
    write(`id: ${encodeCursor(cursor)}\nevent: notification\ndata: ${JSON.stringify(view)}\n\n`)
  }
  const subscriber: Subscriber = {
    userId: o.userId,
    offer: (view) => (held ? held.push(view) : send(view)),
    write,
    end: () => {
      if (ended) return
      finish()
      try {
        controller.close()
      } catch {
        // Already closed by the client.
      }
    },
  }
  function finish() {
    ended = true
    done()
    o.hub.remove(subscriber)
    o.signal.removeEventListener('abort', subscriber.end)
  }

  async function catchUp() {
    if (o.resume) {
      await replayNotifications(o.db, o.userId, replayFrom(cursor), send)
    } else {
      // What is in the table already is not new: noted as sent, so that its live copy is dropped too.
      const { now, recent } = await recentNotifications(o.db, o.userId, REPLAY_WINDOW_MS)
      cursor = cursorAt(now)
      for (const [createdAt, id] of recent) note(cursor, createdAt, id)
    }
    const live = held ?? []
    held = undefined
    for (const view of live) send(view)
    // The position so far, so that a client reconnecting before any notification loses nothing either.
    write(`retry: ${RETRY_MS}\nid: ${encodeCursor(cursor)}\n\n`)
  }

  return new ReadableStream<Uint8Array>({
    type: 'direct',
    pull(c: typeof controller) {
      controller = c
      const open = new Promise<void>((resolve) => (done = resolve))
      o.hub.add(subscriber)
      o.signal.addEventListener('abort', subscriber.end, { once: true })
      catchUp().catch((err) => {
        o.log.warn('notification stream could not catch up; ended for the client to retry', { user_id: o.userId, error: describe(err) })
        subscriber.end()
      })
      return open
    },
    cancel: () => finish(),
  } as unknown as UnderlyingDefaultSource<Uint8Array>)
}
