import { setImmediate } from 'node:timers'

export interface BatcherOptions<I, O> {
  /** Runs one batch; resolves with one outcome per item, in order. */
  run(items: I[]): Promise<O[]>
  /** Items in one batch at most. @default 100 */
  maxSize?: number
  /** Batches running at once; more items wait and form the next batch. @default 2 */
  maxConcurrent?: number
  /**
   * Items with the same key (those of one queue, say) are applied in the
   * order they came: never in two batches running at once, a later one never
   * in a batch before an earlier one. Items without a key go in any batch.
   */
  orderKey?(item: I): string | undefined
}

export interface Batcher<I, O> {
  /** Resolves with the item's outcome once its batch ran. */
  submit(item: I): Promise<O>
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>
}

/**
 * Groups items that arrive together into batches: a batch starts once the
 * current I/O has been read (setImmediate), or at once when it is full, while fewer than
 * `maxConcurrent` run; under load the queue grows and batches get larger.
 * Items of an `orderKey` held by a running batch wait for it to end.
 */
export function createBatcher<I, O>(o: BatcherOptions<I, O>): Batcher<I, O> {
  const maxSize = o.maxSize ?? 100
  const maxConcurrent = o.maxConcurrent ?? 2
  type Queued = { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }
  let queue: Queued[] = []
  let running = 0
  let scheduled = false
  const idleWaiters: (() => void)[] = []

  function settleIdle() {
    if (running === 0 && queue.length === 0) for (const w of idleWaiters.splice(0)) w()
  }

  /** Keys held by the batches running (each by one at most). */
  const held = new Set<string>()
  const keyOf = (item: I) => o.orderKey?.(item)

  /** The next batch: the first items in queue order whose key no running batch holds. */
  function take(): Queued[] {
    if (held.size === 0) {
      const batch = queue.slice(0, maxSize)
      queue = queue.slice(batch.length)
      return batch
    }
    const batch: Queued[] = []
    const rest: Queued[] = []
    for (const q of queue) {
      const key = keyOf(q.item)
      if (batch.length < maxSize && (key === undefined || !held.has(key))) batch.push(q)
      else rest.push(q)
    }
    queue = rest
    return batch
  }

  function pump() {
    scheduled = false
    while (running < maxConcurrent && queue.length > 0) {
      const batch = take()
      if (batch.length === 0) break
      const keys = [...new Set(batch.map((b) => keyOf(b.item)).filter((k) => k !== undefined))]
      for (const k of keys) held.add(k)
      running++
      o.run(batch.map((b) => b.item))
        .then(
          (outcomes) => batch.forEach((b, i) => b.resolve(outcomes[i]!)),
          (err) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          running--
          for (const k of keys) held.delete(k)
          if (queue.length > 0) schedule()
          settleIdle()
        })
    }
  }

  function schedule() {
    if (scheduled) return
    scheduled = true
    setImmediate(pump)
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        if (queue.length >= maxSize) pump()
        else schedule()
      })
    },
    idle() {
      if (running === 0 && queue.length === 0) return Promise.resolve()
      return new Promise((r) => idleWaiters.push(r))
    },
  }
}
