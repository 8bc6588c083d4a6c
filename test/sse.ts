/** One Server-Sent Event as a client reads it; a comment line is one with `comment` set. */
export interface SseEvent {
  id?: string
  event?: string
  data?: string
  comment?: string
  retry?: string
}

/**
 * A Server-Sent Events stream read as a client does: every block of lines
 * parsed into `events` as it arrives; `ended` resolves when the server ends it
 * (or the client cut it with `cut()`).
 */
export interface SseReader {
  status: number
  headers: Headers
  events: SseEvent[]
  /** The notifications received so far, parsed from their `data:`. */
  notifications(): any[]
  /** The last `id:` received, to send back as Last-Event-ID. */
  lastId(): string | undefined
  /** Resolves once `check` holds of what arrived; rejects after `timeoutMs`. */
  until(check: (r: SseReader) => boolean, timeoutMs?: number): Promise<void>
  ended: Promise<void>
  cut(): void
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const abort = new AbortController()
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal })
  const events: SseEvent[] = []
  const reader: SseReader = {
    status: res.status,
    headers: res.headers,
    events,
    notifications: () => events.filter((e) => e.event === 'notification').map((e) => JSON.parse(e.data!)),
    lastId: () => events.findLast((e) => e.id !== undefined)?.id,
    async until(check, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (!check(reader)) {
        if (Date.now() > deadline) throw new Error(`the stream did not show what was awaited within ${timeoutMs} ms: ${JSON.stringify(events.slice(-5))}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    ended: Promise.resolve(),
    cut: () => abort.abort(),
  }
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream') || !res.body) return reader
  reader.ended = (async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event: SseEvent = {}
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':')
            const field = line.slice(0, colon)
            const value = line.slice(colon + 1).replace(/^ /, '')
            if (field === '') event.comment = value
            else if (field === 'id' || field === 'event' || field === 'data' || field === 'retry') event[field] = value
          }
          events.push(event)
        }
      }
    } catch {
      // Cut by the client.
    }
  })()
  return reader
}
