import { expect, test } from 'bun:test'
import { cursorAt, decodeCursor, encodeCursor, MAX_RECENT, note, REPLAY_WINDOW_MS, replayFrom, sent } from './cursor.ts'

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const now = Date.UTC(2026, 11, 1, 12)

test('a position read back is the position written: the newest instant and the ids sent within the window', () => {
  const c = cursorAt(now)
  note(c, now + 5, id(1))
  note(c, now + 3, id(2))
  const back = decodeCursor(encodeCursor(c))!
  expect(back).toEqual({ newest: now + 5, recent: [[now + 5, id(1)], [now + 3, id(2)]] })
  expect(sent(back, id(2))).toBe(true)
  expect(sent(back, id(3))).toBe(false)
  expect(replayFrom(back)).toBe(now + 5 - REPLAY_WINDOW_MS)
})

test('ids older than the window are forgotten, and a position keeps at most MAX_RECENT of them', () => {
  const c = cursorAt(now)
  note(c, now, id(1))
  note(c, now + REPLAY_WINDOW_MS + 1, id(2))
  expect(c.recent.map(([, i]) => i)).toEqual([id(2)])
  for (let n = 0; n < MAX_RECENT + 10; n++) note(c, now + REPLAY_WINDOW_MS + 2 + n, id(100 + n))
  expect(c.recent).toHaveLength(MAX_RECENT)
  expect(decodeCursor(encodeCursor(c))).toEqual(c)
})

test('anything else is no position', () => {
  for (const text of ['', 'yesterday', '1', 'zz.1~abc', `${now.toString(36)}.-1~${'0'.repeat(32)}`, `${now.toString(36)}.1~${'g'.repeat(32)}`]) expect(decodeCursor(text)).toBeUndefined()
})
