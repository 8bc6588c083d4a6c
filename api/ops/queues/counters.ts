/** What a worker's consumers have finished with so far, by the queue label of its metrics (`events`, `commands`). */
export interface WorkerCounters {
  /** Messages taken off the queue, whatever came of them (handled, unhandled, retried, dead-lettered). */
  consumed: Record<string, number>
  /** Of those, the ones sent to the dead-letter queue. */
  deadLettered: number
}

const LINE = /^medtrack_messages_total\{([^}]*)\}\s+(\S+)$/gm
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g

/** Reads `medtrack_messages_total` out of a worker's Prometheus text. */
export function parseCounters(text: string): WorkerCounters {
  const out: WorkerCounters = { consumed: {}, deadLettered: 0 }
  for (const [, labelText, value] of text.matchAll(LINE)) {
    const labels = Object.fromEntries([...labelText!.matchAll(LABEL)].map(([, k, v]) => [k!, v!]))
    const n = Number(value)
    if (!Number.isFinite(n) || labels.queue === undefined) continue
    out.consumed[labels.queue] = (out.consumed[labels.queue] ?? 0) + n
    if (labels.outcome === 'dead_lettered') out.deadLettered += n
  }
  return out
}

/** A worker's counters from its /metrics; undefined when it cannot be read within `timeoutMs`. */
export async function readCounters(base: string, timeoutMs: number): Promise<WorkerCounters | undefined> {
  try {
    const res = await fetch(`${base.replace(/\/+$/, '')}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })
    return res.ok ? parseCounters(await res.text()) : undefined
  } catch {
    // A worker away has no rates this time; its queues' depths still show.
    return undefined
  }
}
