import type { Connection } from 'rabbitmq-client'
import { DomainError, Names, tierName } from '../../../core/index.ts'

/** Which of a service's queues: the two its worker consumes, a retry tier, or its dead letters. */
export type QueueKind = 'events' | 'commands' | 'retry' | 'dead'

export interface QueueRef {
  service: string
  name: string
  kind: QueueKind
  /** A retry tier's delay, `1s`, `2m`. */
  tier?: string
}

/** What the broker says of a queue; null for both while no one has declared it. */
export interface QueueDepth {
  depth: number | null
  consumers: number | null
}

/** Every queue of each service, in the order the topology declares them. */
export function queuesOf(namespace: string, services: readonly string[], tiers: readonly number[]): QueueRef[] {
  const names = new Names(namespace)
  return services.flatMap((service): QueueRef[] => [
    { service, name: names.eventQueue(service), kind: 'events' },
    { service, name: names.commandQueue(service), kind: 'commands' },
    ...tiers.map((ms) => ({ service, name: names.retryQueue(service, ms), kind: 'retry' as const, tier: tierName(ms) })),
    { service, name: names.deadQueue(service), kind: 'dead' },
  ])
}

/** The broker is away: the queues cannot be told (503). */
export const brokerUnavailable = () => new DomainError(503, 'BROKER_UNAVAILABLE', 'the broker cannot be reached right now; try again')

/**
 * Each queue's depth and consumers, by a passive declare (the management
 * plugin is not needed): one the broker does not know has null for both. A
 * broker that cannot be reached is a 503.
 */
export async function readDepths(connection: Connection, queues: readonly QueueRef[]): Promise<Map<string, QueueDepth>> {
  if (!connection.ready) throw brokerUnavailable()
  const out = new Map<string, QueueDepth>()
  let channel = await connection.acquire().catch(() => Promise.reject(brokerUnavailable()))
  try {
    for (const q of queues) {
      try {
        const ok = await channel.queueDeclare({ queue: q.name, passive: true })
        out.set(q.name, { depth: ok.messageCount, consumers: ok.consumerCount })
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'NOT_FOUND') throw brokerUnavailable()
        out.set(q.name, { depth: null, consumers: null })
        // The broker closes a channel that asked of a queue it does not have.
        channel = await connection.acquire().catch(() => Promise.reject(brokerUnavailable()))
      }
    }
  } finally {
    await channel.close().catch(() => {})
  }
  return out
}
