import { setImmediate } from 'node:timers'

export interface BatcherOptions<I, O> {
  /** Runs one batch; resolves with one outcome per item, in order. */
  run(items: I[]): Promise<O[]>
  /** Items in one batch at most. @default 100 */
  maxSize?: number
  /** Batches running at once; more items wait and form the next batch. @default 2 */
  maxConcurrent?: number
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
 */
export function createBatcher<I, O>(o: BatcherOptions<I, O>): Batcher<I, O> {
  const maxSize = o.maxSize ?? 100
  const maxConcurrent = o.maxConcurrent ?? 2
  let queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = []
  let running = 0
  let scheduled = false
  const idleWaiters: (() => void)[] = []

  function settleIdle() {
    if (running === 0 && queue.length === 0) for (const w of idleWaiters.splice(0)) w()
  }

  function pump() {
    scheduled = false
    while (running < maxConcurrent && queue.length > 0) {
      const batch = queue.slice(0, maxSize)
      queue = queue.slice(batch.length)
      running++
      o.run(batch.map((b) => b.item))
        .then(
          (outcomes) => batch.forEach((b, i) => b.resolve(outcomes[i]!)),
          (err) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          running--
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
