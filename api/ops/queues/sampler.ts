import type { Connection } from 'rabbitmq-client'
import { describe, type Logger } from '../../../core/index.ts'
import { brokerUnavailable, readDepths, type QueueDepth, type QueueRef } from './depths.ts'
import { lookupAll, readReplicas, takenBetween, type Lookup, type ReplicaSample } from './replicas.ts'

/** One point of a queue's history: its depth then, and its rates (messages/s) since the point before. */
export interface QueuePoint {
  at: string
  depth: number | null
  rate_in: number | null
  rate_out: number | null
}

/** The history kept, in ms: what the console's charts show. */
export const HISTORY_MS = 10 * 60_000

interface Sample {
  at: number
  depths: Map<string, QueueDepth>
  /** What each service's worker replicas told. */
  counters: Map<string, ReplicaSample>
}

/** How many of a service's worker replicas the last sample read, of the addresses its host name resolved to. */
export interface WorkersReached {
  addresses: number
  answered: number
}

export interface SamplerOptions {
  /** The broker, once the API has one. */
  broker(): Connection | undefined
  queues: readonly QueueRef[]
  /** Each service's worker base URL, for its /metrics: its host name resolves to every replica's address. */
  workers: Record<string, string>
  /** @default the system's resolver, every address of the name */
  lookup?: Lookup
  timeoutMs: number
  everyMs: number
  log: Logger
  /** @default Date.now */
  now?: () => number
}

const perSecond = (n: number) => Math.round(n * 1000) / 1000

/**
 * A queue's rates between two samples. Out of the queues a worker consumes:
 * what its counters say it took; in: that plus how much the queue grew. Into
 * the dead letters: what the workers dead-lettered; out: that less how much
 * it grew (replayed or purged). A retry tier's are not counted (null).
 */
function ratesOf(q: QueueRef, before: Sample, after: Sample): Pick<QueuePoint, 'rate_in' | 'rate_out'> {
  const seconds = (after.at - before.at) / 1000
  const [d0, d1] = [before.depths.get(q.name)?.depth, after.depths.get(q.name)?.depth]
  const taken = takenBetween(before.counters.get(q.service), after.counters.get(q.service))
  if (seconds <= 0 || d0 == null || d1 == null || !taken) return { rate_in: null, rate_out: null }
  const grew = (d1 - d0) / seconds
  if (q.kind === 'events' || q.kind === 'commands') {
    const out = (taken.consumed[q.kind] ?? 0) / seconds
    return { rate_in: perSecond(Math.max(0, out + grew)), rate_out: perSecond(out) }
  }
  if (q.kind === 'dead') {
    const into = taken.deadLettered / seconds
    return { rate_in: perSecond(into), rate_out: perSecond(Math.max(0, into - grew)) }
  }
  return { rate_in: null, rate_out: null }
}

export interface QueueState extends QueueRef, QueueDepth, Pick<QueuePoint, 'rate_in' | 'rate_out'> {
  history: QueuePoint[]
}

/**
 * Samples every queue's depth (a passive declare) and every worker's counters
 * each `everyMs`, keeping the last HISTORY_MS in memory, for the queues'
 * rates and the console's charts. Samples are taken one at a time.
 */
export function createQueueSampler(o: SamplerOptions) {
  const now = o.now ?? Date.now
  const lookup = o.lookup ?? lookupAll
  const samples: Sample[] = []
  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<void> | undefined

  async function take(): Promise<Sample> {
    const broker = o.broker()
    if (!broker) throw brokerUnavailable()
    const workers = Object.entries(o.workers)
    const [depths, counters] = await Promise.all([readDepths(broker, o.queues), Promise.all(workers.map(async ([s, base]) => [s, await readReplicas(base, o.timeoutMs, lookup)] as const))])
    return { at: now(), depths, counters: new Map(counters) }
  }

  /** Whether the last sample could not be taken: a gap is said once in the log, when it begins, and again when it ends. */
  let failing = false
  /** Takes a sample into the history; a broker away leaves a gap. */
  async function record(): Promise<void> {
    try {
      const sample = await take()
      samples.push(sample)
      while (samples.length > 0 && samples[0]!.at < sample.at - HISTORY_MS) samples.shift()
      if (failing) o.log.info('queues sampled again')
      failing = false
    } catch (err) {
      if (!failing) o.log.warn('queues not sampled until the broker answers', { error: describe(err) })
      failing = true
    }
  }

  const historyOf = (q: QueueRef): QueuePoint[] =>
    samples.map((s, i) => ({ at: new Date(s.at).toISOString(), depth: s.depths.get(q.name)?.depth ?? null, ...(i === 0 ? { rate_in: null, rate_out: null } : ratesOf(q, samples[i - 1]!, s)) }))

  return {
    start(): void {
      const tick = () => {
        running ??= record().finally(() => (running = undefined))
      }
      tick()
      timer = setInterval(tick, o.everyMs)
    },
    async stop(): Promise<void> {
      clearInterval(timer)
      await running
    },
    /**
     * Every queue as it is now (depth and consumers asked of the broker at
     * once), with its latest rates and its history; and how many of each
     * service's worker replicas the last sample read (none before the first).
     */
    async queues(): Promise<{ queues: QueueState[]; workers: Map<string, WorkersReached> }> {
      const broker = o.broker()
      if (!broker) throw brokerUnavailable()
      const depths = await readDepths(broker, o.queues)
      const queues = o.queues.map((q) => {
        const history = historyOf(q)
        const last = history.at(-1)
        return { ...q, ...depths.get(q.name)!, rate_in: last?.rate_in ?? null, rate_out: last?.rate_out ?? null, history }
      })
      const latest = samples.at(-1)?.counters ?? new Map<string, ReplicaSample>()
      return { queues, workers: new Map([...latest].map(([service, r]) => [service, { addresses: r.addresses, answered: r.replicas.size }])) }
    },
  }
}

export type QueueSampler = ReturnType<typeof createQueueSampler>
