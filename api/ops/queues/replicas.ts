import { lookup } from 'node:dns/promises'
import { withTimeout } from '../../../core/index.ts'
import { readCounters, type WorkerCounters } from './counters.ts'

/** Every address a host name resolves to. */
export type Lookup = (hostname: string) => Promise<string[]>

/** The system's resolver (`/etc/hosts`, then DNS), every address of the name: one per replica behind a compose service. */
export const lookupAll: Lookup = async (hostname) => (await lookup(hostname, { all: true })).map((a) => a.address)

/** What one service's worker replicas told at one sample. */
export interface ReplicaSample {
  /** How many addresses the worker's host name resolved to. */
  addresses: number
  /** The counters of each replica that answered, by the address it answered at; a replica reached at two addresses is kept at the first. */
  replicas: Map<string, WorkerCounters>
}

/** `base` with its host the address `address`, and `/metrics` after its path. */
function metricsUrlAt(base: URL, address: string): string {
  const url = new URL(base)
  url.hostname = address.includes(':') ? `[${address}]` : address
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/metrics`
  return url.href
}

/**
 * The counters of every replica of a worker: its base URL's host resolved to
 * all its addresses (within `timeoutMs`), and `/metrics` read at each, on
 * the same port and path. An address that does not answer is left out; one
 * that answers as a replica already read at another address (the same
 * instance: a worker listening on both 127.0.0.1 and ::1) is counted once.
 */
export async function readReplicas(base: string, timeoutMs: number, lookupHost: Lookup = lookupAll): Promise<ReplicaSample> {
  const url = new URL(base)
  const resolved = await withTimeout(lookupHost(url.hostname.replace(/^\[(.*)\]$/, '$1')), timeoutMs).catch(() => [] as string[])
  const addresses = [...new Set(resolved)].sort()
  const answers = await Promise.all(addresses.map((address) => readCounters(metricsUrlAt(url, address), timeoutMs)))
  const replicas = new Map<string, WorkerCounters>()
  const instances = new Set<string>()
  addresses.forEach((address, i) => {
    const counters = answers[i]
    if (!counters || (counters.instance !== undefined && instances.has(counters.instance))) return
    if (counters.instance !== undefined) instances.add(counters.instance)
    replicas.set(address, counters)
  })
  return { addresses: addresses.length, replicas }
}

/** How much a counter went up; a counter that went down began again from 0 (its process restarted). */
const increase = (before: number, after: number) => (after >= before ? after - before : after)

/**
 * What a service's replicas took between two samples, summed: for each
 * address read in both, how much its counters went up, or all of them when a
 * new instance answers there (the replica restarted in between). An address
 * read in only one of them counts nothing this time. Undefined when no
 * replica answered in either sample.
 */
export function takenBetween(before: ReplicaSample | undefined, after: ReplicaSample | undefined): Omit<WorkerCounters, 'instance'> | undefined {
  if (!before?.replicas.size || !after?.replicas.size) return undefined
  const out = { consumed: {} as Record<string, number>, deadLettered: 0 }
  for (const [address, now] of after.replicas) {
    const then = before.replicas.get(address)
    if (!then) continue
    const restarted = then.instance !== now.instance
    const grew = (b: number | undefined, a: number) => (restarted ? a : increase(b ?? 0, a))
    for (const [queue, n] of Object.entries(now.consumed)) out.consumed[queue] = (out.consumed[queue] ?? 0) + grew(then.consumed[queue], n)
    out.deadLettered += grew(then.deadLettered, now.deadLettered)
  }
  return out
}
