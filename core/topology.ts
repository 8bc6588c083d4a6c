import type { Connection } from 'rabbitmq-client'
import { HEADER } from './failure.ts'

export const SERVICES = ['auth', 'profile', 'core', 'comm', 'eval', 'ops'] as const
export type Service = (typeof SERVICES)[number]

/** The single source of which events each service's queue receives (docs/events.md prints it). */
export const EVENT_BINDINGS: Readonly<Record<Service, readonly string[]>> = {
  auth: ['user.*', 'student.*', 'encadrant.*'],
  // Every service with an API also binds the account events its token versions are kept from.
  profile: ['user.created', 'user.verified', 'user.deleted', 'user.password_changed', 'stage.accepted', 'stage.cancelled'],
  comm: ['student.*', 'stage.*', 'notification.*', 'user.created', 'encadrant.*', 'evaluation.*', 'grade.*', 'user.password_changed', 'user.deleted', 'email.*'],
  core: ['student.*', 'encadrant.*', 'establishment.*', 'grade.assigned', 'user.created', 'user.password_changed', 'user.deleted'],
  eval: ['stage.*', 'student.*', 'encadrant.*', 'user.created', 'user.password_changed', 'user.deleted'],
  // The audit trail keeps every event, whatever its type.
  ops: ['#'],
}

/** Delays of the retry tiers, in milliseconds: 1 s, 5 s, 30 s, 2 min, 10 min. */
export const DEFAULT_RETRY_TIERS: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000]

/** `1000` → `1s`, `120000` → `2m`, `250` → `250ms`: the suffix of a retry tier queue. */
export function tierName(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms % 1_000 === 0) return `${ms / 1_000}s`
  return `${ms}ms`
}

/** Every broker name, under a namespace (empty: the names of docs/events.md exactly). */
export class Names {
  readonly namespace: string
  constructor(namespace = '') {
    this.namespace = namespace
  }
  private n(name: string): string {
    return this.namespace ? `${this.namespace}.${name}` : name
  }
  get events(): string {
    return this.n('medtrack.events')
  }
  get commands(): string {
    return this.n('medtrack.commands')
  }
  eventQueue(s: string): string {
    return this.n(`${s}.events`)
  }
  commandQueue(s: string): string {
    return this.n(`${s}.commands`)
  }
  /** Headers exchange through which expired retries return to the queue they came from. */
  retryExchange(s: string): string {
    return this.n(`${s}.retry`)
  }
  retryQueue(s: string, delayMs: number): string {
    return this.n(`${s}.retry.${tierName(delayMs)}`)
  }
  deadQueue(s: string): string {
    return this.n(`${s}.dead`)
  }
}

export interface TopologyOptions {
  namespace?: string
  /** @default SERVICES */
  services?: readonly string[]
  /** @default EVENT_BINDINGS */
  bindings?: Readonly<Record<string, readonly string[]>>
  /** @default DEFAULT_RETRY_TIERS */
  retryTiers?: readonly number[]
  /** Command types bound from the commands exchange to each service's commands queue. */
  commands?: Readonly<Record<string, readonly string[]>>
}

export interface QueueSpec {
  queue: string
  arguments: Record<string, unknown>
  bindings: { exchange: string; routingKey: string; arguments?: Record<string, unknown> }[]
}

export interface Topology {
  exchanges: { exchange: string; type: 'topic' | 'direct' | 'headers' }[]
  queues: QueueSpec[]
}

const QUORUM = { 'x-queue-type': 'quorum' } as const

/**
 * A service queue's arguments: a message the broker gives up on (past a
 * delivery limit, as RabbitMQ 4's quorum queues have by default) goes to the
 * service's dead-letter queue instead of vanishing.
 */
const serviceQueue = (dead: string) => ({ ...QUORUM, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dead, 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' })

/** The whole declared topology as data: what `declareTopology` creates and `bun run topology` prints. */
export function topology(o: TopologyOptions = {}): Topology {
  const names = new Names(o.namespace)
  const services = o.services ?? SERVICES
  const bindings: Readonly<Record<string, readonly string[]>> = o.bindings ?? EVENT_BINDINGS
  const tiers = o.retryTiers ?? DEFAULT_RETRY_TIERS
  const exchanges: Topology['exchanges'] = [
    { exchange: names.events, type: 'topic' },
    { exchange: names.commands, type: 'direct' },
  ]
  const queues: QueueSpec[] = []
  for (const s of services) {
    const events = names.eventQueue(s)
    const commands = names.commandQueue(s)
    const retry = names.retryExchange(s)
    exchanges.push({ exchange: retry, type: 'headers' })
    const back = (queue: string) => ({ exchange: retry, routingKey: '', arguments: { 'x-match': 'all-with-x', [HEADER.originalQueue]: queue } })
    const dead = names.deadQueue(s)
    queues.push({
      queue: events,
      arguments: serviceQueue(dead),
      bindings: [...(bindings[s] ?? []).map((routingKey) => ({ exchange: names.events, routingKey })), back(events)],
    })
    const commandKeys = (o.commands?.[s] ?? []).map((routingKey) => ({ exchange: names.commands, routingKey }))
    queues.push({ queue: commands, arguments: serviceQueue(dead), bindings: [...commandKeys, back(commands)] })
    for (const ms of tiers) {
      queues.push({
        queue: names.retryQueue(s, ms),
        arguments: {
          ...QUORUM,
          'x-message-ttl': ms,
          'x-dead-letter-exchange': retry,
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        },
        bindings: [],
      })
    }
    queues.push({ queue: names.deadQueue(s), arguments: QUORUM, bindings: [] })
  }
  return { exchanges, queues }
}

/**
 * Declares exchanges, queues and bindings; safe to run any number of times
 * with the same options. A service queue an older version declared without
 * its dead-letter arguments is kept as it is (the broker cannot change a
 * queue's arguments), said once through `onOlderQueue`, and answered with the
 * arguments it has, for its consumer to declare it with again.
 */
export async function declareTopology(connection: Connection, o: TopologyOptions & { onOlderQueue?: (queue: string) => void } = {}): Promise<Topology> {
  const t = topology(o)
  for (const e of t.exchanges) await connection.exchangeDeclare({ ...e, durable: true })
  for (const q of t.queues) {
    try {
      await connection.queueDeclare({ queue: q.queue, durable: true, arguments: q.arguments })
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'PRECONDITION_FAILED' || !('x-dead-letter-routing-key' in q.arguments)) throw err
      await connection.queueDeclare({ queue: q.queue, durable: true, arguments: QUORUM })
      q.arguments = QUORUM
      o.onOlderQueue?.(q.queue)
    }
    for (const b of q.bindings) await connection.queueBind({ queue: q.queue, ...b })
  }
  return t
}

/** What an operator is told of a queue declared by an older version (see `declareTopology`). */
export function olderQueueWarning(log: { warn(message: string, fields?: Record<string, unknown>): void }) {
  return (queue: string) =>
    log.warn('queue declared by an older version, without its dead-letter arguments: a message the broker gives up on (past a delivery limit) is dropped, not dead-lettered; once it is empty, delete it (rabbitmqctl delete_queue) and restart the worker to declare it anew', { queue })
}

/** Removes everything `topology(o)` names: for tests and namespaces being retired. */
export async function deleteTopology(connection: Connection, o: TopologyOptions = {}): Promise<void> {
  const t = topology(o)
  for (const q of t.queues) await connection.queueDelete({ queue: q.queue })
  for (const e of t.exchanges) await connection.exchangeDelete({ exchange: e.exchange })
}
