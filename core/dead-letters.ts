import { Buffer } from 'node:buffer'
import type { Connection, SyncMessage } from 'rabbitmq-client'
import { bodyBytes, messageIdentity } from './envelope.ts'
import { HEADER } from './failure.ts'
import { Names } from './topology.ts'

export interface DeadLetter {
  /** The id consumers know the message by (core/envelope.ts `messageIdentity`): the one to name it with. */
  messageId: string
  type: string | undefined
  error: string
  errorClass: string
  attempts: number
  failedAt: string
  originalQueue: string
  /** The body exactly as it was dead-lettered. */
  body: string
  headers: Record<string, unknown>
}

/**
 * The queue a letter failed on: ours, or, for a message the broker itself
 * dead-lettered (past a delivery limit), the one its `x-death` names.
 */
function originalQueueOf(h: Record<string, unknown>): string {
  const death = Array.isArray(h['x-death']) ? (h['x-death'][0] as { queue?: unknown } | undefined) : undefined
  return String(h[HEADER.originalQueue] ?? h['x-first-death-queue'] ?? death?.queue ?? '')
}

function toDeadLetter(m: SyncMessage): DeadLetter {
  const h = (m.headers ?? {}) as Record<string, unknown>
  const { id, type } = messageIdentity(m.body, m)
  const byBroker = h[HEADER.error] === undefined && h['x-first-death-reason'] !== undefined
  return {
    messageId: id,
    type,
    error: byBroker ? `dead-lettered by the broker: ${String(h['x-first-death-reason'])}` : String(h[HEADER.error] ?? ''),
    errorClass: byBroker ? 'broker' : String(h[HEADER.errorClass] ?? ''),
    attempts: Number(h[HEADER.attempts] ?? 0),
    failedAt: String(h[HEADER.failedAt] ?? ''),
    originalQueue: originalQueueOf(h),
    body: Buffer.from(bodyBytes(m.body ?? '')).toString('utf8'),
    headers: h,
  }
}

/** The dead-letter queue is not there: nothing has declared the service's topology in this namespace. */
function noQueue(err: unknown, queue: string): unknown {
  return (err as { code?: unknown })?.code === 'NOT_FOUND' ? new Error(`there is no dead-letter queue ${queue}: the service's worker has not run in this namespace`, { cause: err }) : err
}

/**
 * Reads a service's dead-letter queue to its end. Each message is fetched and
 * left unacknowledged; `visit` says which ones to settle (`ack` removes, `keep`
 * holds it until the walk ends, then returns it to the queue, so it is not
 * fetched twice), and is awaited before the ack.
 */
async function walk(connection: Connection, queue: string, visit: (m: SyncMessage) => Promise<'ack' | 'keep'>): Promise<number> {
  const ch = await connection.acquire()
  let acted = 0
  try {
    for (;;) {
      const m = await ch.basicGet({ queue, noAck: false }).catch((err: unknown) => Promise.reject(noQueue(err, queue)))
      if (!m) break
      if ((await visit(m)) === 'ack') {
        ch.basicAck({ deliveryTag: m.deliveryTag })
        acted++
      }
    }
  } finally {
    await ch.close().catch(() => {})
  }
  return acted
}

/**
 * Marks the messages one replay sends back. One that fails again carries it
 * into the dead-letter queue, where that same replay leaves it alone: a replay
 * whose letters keep failing ends, each sent back once. The next replay sends
 * it back again.
 */
export const REPLAY_HEADER = 'x-medtrack-replay'

export interface DeadLetterOptions {
  connection: Connection
  service: string
  /** @default '' */
  namespace?: string
}

/** Every dead letter of the service, oldest first; the queue is left as it was. */
export async function listDeadLetters(o: DeadLetterOptions): Promise<DeadLetter[]> {
  const out: DeadLetter[] = []
  await walk(o.connection, new Names(o.namespace).deadQueue(o.service), async (m) => (out.push(toDeadLetter(m)), 'keep'))
  return out
}

/**
 * Publishes dead letters back to the queue they failed on, with the failure
 * headers removed and the attempt count reset, and removes them from the
 * dead-letter queue once the broker confirmed. `ids` limits it to those
 * message ids; without it every dead letter is replayed. Returns how many.
 */
export async function replayDeadLetters(o: DeadLetterOptions & { ids?: readonly string[] }): Promise<number> {
  const publisher = o.connection.createPublisher({ confirm: true, maxAttempts: 3 })
  const replay = crypto.randomUUID()
  try {
    return await walk(o.connection, new Names(o.namespace).deadQueue(o.service), async (m) => {
      if (o.ids && !o.ids.includes(messageIdentity(m.body, m).id)) return 'keep'
      const h = { ...(m.headers ?? {}) } as Record<string, unknown>
      if (h[REPLAY_HEADER] === replay) return 'keep'
      h[REPLAY_HEADER] = replay
      const target = originalQueueOf(h)
      if (!target) return 'keep'
      for (const key of [HEADER.error, HEADER.errorClass, HEADER.attempts, HEADER.failedAt, 'x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason', 'x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason']) delete h[key]
      const { deliveryTag: _d, redelivered: _r, exchange: _e, routingKey: _k, messageCount: _c, body, ...props } = m
      await publisher.send({ ...props, exchange: '', routingKey: target, headers: h, durable: true }, bodyBytes(body ?? ''))
      return 'ack'
    })
  } finally {
    await publisher.close()
  }
}

/** Deletes every dead letter of the service (or only `ids`); returns how many. */
export async function purgeDeadLetters(o: DeadLetterOptions & { ids?: readonly string[] }): Promise<number> {
  const queue = new Names(o.namespace).deadQueue(o.service)
  if (!o.ids) return (await o.connection.queuePurge({ queue }).catch((err: unknown) => Promise.reject(noQueue(err, queue)))).messageCount
  const ids = o.ids
  return walk(o.connection, queue, async (m) => (ids.includes(messageIdentity(m.body, m).id) ? 'ack' : 'keep'))
}
