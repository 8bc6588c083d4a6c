import { t } from 'elysia'
import { DomainError } from '../../../core/index.ts'
import { decodeCursor, type Cursor } from './cursor.ts'

export const StreamQuery = t.Object({
  access_token: t.Optional(t.String({ description: "the access token, for a browser's EventSource, which cannot send an Authorization header" })),
})

/** The position a client sends back (`Last-Event-ID`), or undefined on a first connection; 400 for one this API did not write. */
export function resumeFrom(lastEventId: string | null): Cursor | undefined {
  if (lastEventId === null || lastEventId.trim() === '') return undefined
  const cursor = decodeCursor(lastEventId)
  if (!cursor) throw new DomainError(400, 'INVALID_LAST_EVENT_ID', 'Last-Event-ID is not a position this stream sent', [{ path: '/headers/last-event-id', message: 'must be an id: of this stream' }])
  return cursor
}
