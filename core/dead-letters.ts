import { Buffer } from 'node:buffer'
import type { Connection, SyncMessage } from 'rabbitmq-client'
import { bodyBytes, messageIdentity } from './envelope.ts'
import { HEADER } from './failure.ts'
import { letterHeaders, walk, type WalkOptions } from './dead-letter-walk.ts'
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

/**
 * Marks the messages a replay sends back, one value per replay. A letter that
 * fails again carries it into the dead-letter queue, where it tells which
 * replay sent it; the walk that replayed it does not meet it again (a walk
 * takes only the letters there when it began), the next replay sends it back
 * again.
 */
export const REPLAY_HEADER = 'x-medtrack-replay'

/** Headers of a failure, removed from a letter sent back to its queue. */
const FAILURE_HEADERS = [HEADER.error, HEADER.errorClass, HEADER.attempts, HEADER.failedAt, 'x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason', 'x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason']

export interface DeadLetterOptions extends WalkOptions {
  connection: Connection
  service: string
  /** @default '' */
  namespace?: string
}

/** What a replay or a purge did: how many letters it took, and which of the ids it was given no letter had. */
export interface DeadLetterTally {
  count: number
  /** Empty when every letter was asked for. */
  missing: string[]
}

const tally = (count: number, ids: readonly string[] | undefined, met: Set<string>): DeadLetterTally => ({ count, missing: (ids ?? []).filter((id) => !met.has(id)) })

/** Every dead letter of the service, oldest first, each message id once; the queue is left with the same letters. */
export async function listDeadLetters(o: DeadLetterOptions): Promise<DeadLetter[]> {
  const queue = new Names(o.namespace).deadQueue(o.service)
  const out: DeadLetter[] = []
  await walk(o.connection, queue, (m) => (out.push(toDeadLetter(m)), { queue, headers: letterHeaders(m) }), o)
  return out
}

/**
 * Publishes dead letters back to the queue they failed on, with the failure
 * headers removed and the attempt count reset, and removes them from the
 * dead-letter queue once the broker confirmed. `ids` limits it to those
 * message ids; without it every dead letter is replayed. A letter whose queue
 * is not there is kept (and counts for none).
 */
export async function replayDeadLetters(o: DeadLetterOptions & { ids?: readonly string[] }): Promise<DeadLetterTally> {
  const queue = new Names(o.namespace).deadQueue(o.service)
  const replay = crypto.randomUUID()
  const exists = new Map<string, Promise<boolean>>()
  const met = new Set<string>()
  let replayed = 0
  await walk(
    o.connection,
    queue,
    async (m, id) => {
      const headers = letterHeaders(m)
      const target = originalQueueOf(headers)
      if (o.ids && !o.ids.includes(id)) return { queue, headers }
      met.add(id)
      if (!target) return { queue, headers }
      if (!exists.has(target)) exists.set(target, queueExists(o.connection, target))
      if (!(await exists.get(target))) return { queue, headers }
      for (const key of FAILURE_HEADERS) delete headers[key]
      headers[REPLAY_HEADER] = replay
      replayed++
      return { queue: target, headers }
    },
    o,
  )
  return tally(replayed, o.ids, met)
}

/**
 * Deletes every dead letter of the service there when it begins (or only
 * `ids`); one dead-lettered meanwhile stays.
 */
export async function purgeDeadLetters(o: DeadLetterOptions & { ids?: readonly string[] }): Promise<DeadLetterTally> {
  const queue = new Names(o.namespace).deadQueue(o.service)
  const met = new Set<string>()
  await walk(o.connection, queue, (m, id) => (!o.ids || o.ids.includes(id) ? (met.add(id), undefined) : { queue, headers: letterHeaders(m) }), o)
  return tally(met.size, o.ids, met)
}

/** Whether `queue` is declared, asked on a channel of its own (a passive declare of a missing queue closes its channel). */
async function queueExists(connection: Connection, queue: string): Promise<boolean> {
  const ch = await connection.acquire()
  try {
    await ch.queueDeclare({ queue, passive: true })
    return true
  } catch (err) {
    if ((err as { code?: unknown }).code === 'NOT_FOUND') return false
    throw err
  } finally {
    await ch.close()
  }
}
