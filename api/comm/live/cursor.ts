/**
 * A stream's position, sent as each event's SSE `id:` and read back from
 * `Last-Event-ID`. Notification ids are random and `created_at` is its
 * transaction's start, so rows do not commit in `created_at` order: a row
 * started before one already sent may commit after it. The position is
 * therefore not one row but a window: the newest `created_at` sent (`newest`)
 * and the ids sent whose `created_at` lies within REPLAY_WINDOW_MS of it.
 * A reconnection replays every row of the user newer than `newest` minus the
 * window that is not one of those ids: a row is lost only if its transaction
 * committed more than the window after a later-started one was sent.
 */

/** How far before the newest notification sent a replay looks for rows committed late. */
export const REPLAY_WINDOW_MS = 10_000

/** The most ids a position carries (a header of about 2.5 KiB): beyond, the oldest may be sent again on reconnection. */
export const MAX_RECENT = 64

export interface Cursor {
  /** The newest `created_at` sent, in ms since the epoch. */
  newest: number
  /** The notifications sent within the window before `newest`, oldest first: [created_at ms, id]. */
  recent: [number, string][]
}

/** The position of a stream that has sent nothing yet, opened at `now` (the database's clock). */
export const cursorAt = (now: number): Cursor => ({ newest: now, recent: [] })

/** Whether the notification `id` is one the cursor says was sent. */
export const sent = (c: Cursor, id: string): boolean => c.recent.some(([, seen]) => seen === id)

/** Notes a notification as sent, keeping only the ids still within the window. */
export function note(c: Cursor, createdAt: number, id: string): void {
  if (createdAt > c.newest) c.newest = createdAt
  const from = c.newest - REPLAY_WINDOW_MS
  if (createdAt > from) c.recent.push([createdAt, id])
  const oldest = c.recent[0]
  if (c.recent.length > MAX_RECENT || (oldest && oldest[0] <= from)) c.recent = c.recent.filter(([t]) => t > from).slice(-MAX_RECENT)
}

/** Where a replay starts: rows created after this instant (ms), less those `sent`. */
export const replayFrom = (c: Cursor): number => c.newest - REPLAY_WINDOW_MS

const UUID = /^[0-9a-f]{32}$/
const EARLIEST = Date.UTC(2000, 0, 1)
const compact = (id: string) => id.replaceAll('-', '')
const dashed = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`

/** `<newest, base 36>` then `.<age in ms, base 36>~<id without dashes>` for each recent id. */
export function encodeCursor(c: Cursor): string {
  return [c.newest.toString(36), ...c.recent.map(([t, id]) => `${(c.newest - t).toString(36)}~${compact(id)}`)].join('.')
}

/** The cursor a `Last-Event-ID` names, or undefined when it is not one this API wrote. */
export function decodeCursor(text: string): Cursor | undefined {
  const [head, ...rest] = text.trim().split('.')
  if (!head || !/^[0-9a-z]{1,12}$/.test(head) || rest.length > MAX_RECENT) return undefined
  const newest = parseInt(head, 36)
  // An instant of this century, not later than a day from now: anything else is not a position.
  if (newest < EARLIEST || newest > Date.now() + 86_400_000) return undefined
  const recent: [number, string][] = []
  for (const part of rest) {
    const [age, hex] = part.split('~')
    if (!age || !/^[0-9a-z]{1,8}$/.test(age) || !hex || !UUID.test(hex)) return undefined
    recent.push([newest - parseInt(age, 36), dashed(hex)])
  }
  return { newest, recent }
}
