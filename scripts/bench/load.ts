export interface DriveOptions {
  url: string
  count: number
  /** Requests in flight at once. */
  concurrency: number
  body(n: number): unknown
  headers?: Record<string, string>
}

/** POSTs `count` JSON bodies, `concurrency` at a time; every answer must be 201. */
export async function drive(o: DriveOptions): Promise<void> {
  const headers = { 'content-type': 'application/json', ...o.headers }
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(o.concurrency, o.count) }, async () => {
      while (next < o.count) {
        const res = await fetch(o.url, { method: 'POST', headers, body: JSON.stringify(o.body(next++)) })
        if (res.status !== 201) throw new Error(`POST ${o.url} answered ${res.status}: ${await res.text()}`)
        await res.arrayBuffer()
      }
    }),
  )
}

/**
 * Drives load for `seconds` before a measurement, so that what is measured is
 * the processes' steady state, not their start: a Bun process compiles its hot
 * code in background threads for its first seconds under load (here tens of
 * thousands of requests), and on two cores that compiling takes CPU from the
 * path being measured. Resolves with how many requests it sent.
 */
export async function warmUp(seconds: number, send: (count: number, from: number) => Promise<void>): Promise<number> {
  const until = performance.now() + seconds * 1000
  let sent = 0
  // A few hundred at least, then in thousands until the time is up.
  for (let chunk = 300; sent === 0 || performance.now() < until; chunk = 1_000) {
    await send(chunk, sent)
    sent += chunk
  }
  return sent
}

export const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!
