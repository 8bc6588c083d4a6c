import type { NotificationView } from '../../../schemas/views/notifications.ts'

/** One open stream as the hub sees it: whose it is, and how to hand it a notification, a line or its end. */
export interface Subscriber {
  userId: string
  /** A live notification for this stream's user. */
  offer(view: NotificationView): void
  /** Writes raw SSE text (a heartbeat comment). */
  write(text: string): void
  /** Ends the stream; the client reconnects (elsewhere) with its Last-Event-ID. */
  end(): void
}

export interface HubOptions {
  /** How often every stream gets a comment line, so that no proxy closes it as idle. */
  heartbeatMs: number
}

/** An SSE comment: ignored by EventSource, but bytes on the wire. */
const HEARTBEAT = ': \n\n'

/**
 * The streams one API replica holds, by user: a notification goes to the
 * streams of its user only. One timer beats for every stream.
 */
export function createHub(o: HubOptions) {
  const byUser = new Map<string, Set<Subscriber>>()
  let open = 0
  let closed = false
  const beat = setInterval(() => {
    for (const streams of byUser.values()) for (const s of streams) s.write(HEARTBEAT)
  }, o.heartbeatMs)
  beat.unref?.()

  return {
    /** Whether the hub still takes streams: not once it has been closed (the API is stopping). */
    get closed() {
      return closed
    },
    /** How many streams are open. */
    get size() {
      return open
    },
    add(s: Subscriber): void {
      let streams = byUser.get(s.userId)
      if (!streams) byUser.set(s.userId, (streams = new Set()))
      if (!streams.has(s)) open++
      streams.add(s)
    },
    remove(s: Subscriber): void {
      const streams = byUser.get(s.userId)
      if (!streams?.delete(s)) return
      open--
      if (streams.size === 0) byUser.delete(s.userId)
    },
    /** Hands a notification to every stream of its user. */
    deliver(view: NotificationView): void {
      const streams = byUser.get(view.user_id)
      if (streams) for (const s of streams) s.offer(view)
    },
    /** Ends every stream, and with `close`, refuses new ones and stops the heartbeat. */
    endAll({ close = false } = {}): void {
      if (close) {
        closed = true
        clearInterval(beat)
      }
      const all = [...byUser.values()].flatMap((streams) => [...streams])
      byUser.clear()
      open = 0
      for (const s of all) s.end()
    },
  }
}

export type Hub = ReturnType<typeof createHub>
