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

export const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!
