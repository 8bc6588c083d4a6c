/** What a worker's consumers have finished with so far, by the queue label of its metrics (`events`, `commands`). */
export interface WorkerCounters {
  /** The worker process's id (`medtrack_worker_info`), new at each start; undefined for a worker that does not tell it. */
  instance?: string
  /** Messages taken off the queue, whatever came of them (handled, unhandled, retried, dead-lettered). */
  consumed: Record<string, number>
  /** Of those, the ones sent to the dead-letter queue. */
  deadLettered: number
}

const LINE = /^medtrack_messages_total\{([^}]*)\}\s+(\S+)$/gm
const INFO = /^medtrack_worker_info\{([^}]*)\}\s+\S+$/m
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g

const labelsOf = (text: string): Record<string, string> => Object.fromEntries([...text.matchAll(LABEL)].map(([, k, v]) => [k!, v!]))

/** Reads `medtrack_messages_total` and the worker's instance out of a worker's Prometheus text. */
export function parseCounters(text: string): WorkerCounters {
  const instance = labelsOf(text.match(INFO)?.[1] ?? '').instance
  const out: WorkerCounters = { ...(instance ? { instance } : {}), consumed: {}, deadLettered: 0 }
  for (const [, labelText, value] of text.matchAll(LINE)) {
    const labels = labelsOf(labelText!)
    const n = Number(value)
    if (!Number.isFinite(n) || labels.queue === undefined) continue
    out.consumed[labels.queue] = (out.consumed[labels.queue] ?? 0) + n
    if (labels.outcome === 'dead_lettered') out.deadLettered += n
  }
  return out
}

/** A worker's counters from the metrics at `url`; undefined when they cannot be read within `timeoutMs`. */
export async function readCounters(url: string, timeoutMs: number): Promise<WorkerCounters | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    return res.ok ? parseCounters(await res.text()) : undefined
  } catch {
    // A replica away is left out of this sample; the others, and the queues' depths, still show.
    return undefined
  }
}
