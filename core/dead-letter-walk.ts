import { setImmediate } from 'node:timers'
import type { Channel, Connection, ReturnedMessage, SyncMessage } from 'rabbitmq-client'
import { bodyBytes, messageIdentity } from './envelope.ts'
import { describe, DomainError, PermanentError, TransientError } from './errors.ts'

/**
 * What becomes of a letter a walk takes: a copy published to `queue` with
 * `headers` (the queue it was taken from, to keep it), or nothing (removed).
 */
export type Fate = { queue: string; headers: Record<string, unknown> } | undefined

/**
 * Letters taken, copied and settled together: one round of confirms for each
 * batch. Fewer than the 32 commands a quorum queue's client in the channel
 * keeps in flight: each letter taken with basic.get is settled by a command of
 * its own, and past that limit the rest wait in the channel, to be returned to
 * the queue (one delivery more) should it close before they are sent.
 */
const BATCH = 16

/** A letter taken off the queue, and what becomes of it. */
type Taken = { m: SyncMessage; id: string; fate: Fate }

export interface WalkOptions {
  /**
   * How long a walk waits for another one of the same queue, in any process,
   * to end, before it gives up with WalkUnderWay.
   * @default 60000
   */
  turnWaitMs?: number
}

/** Another walk of the queue held it for longer than the walk would wait: retrying once it ends will do. */
export class WalkUnderWay extends TransientError {
  override name = 'WalkUnderWay'
  constructor(queue: string, waitedMs: number) {
    super('WALK_UNDER_WAY', `another walk of ${queue} has held it for more than ${Math.round(waitedMs / 1_000)} s: try again once it ends`)
  }
}

/** The dead-letter queue is not there: nothing has declared the service's topology in this namespace. */
export class NoDeadLetterQueue extends PermanentError {
  override name = 'NoDeadLetterQueue'
  constructor(queue: string, options?: { cause?: unknown }) {
    super('NO_DEAD_LETTER_QUEUE', `there is no dead-letter queue ${queue}: the service's worker has not run in this namespace`, options)
  }
}

/**
 * Walks a queue once, oldest first: each letter there when the walk starts is
 * taken once, `visit` says its fate, its copy is published (publisher
 * confirms, mandatory) and only once the broker confirmed it is the letter
 * acked. No letter is ever returned to the queue, so none counts against a
 * quorum queue's delivery limit (RabbitMQ 4 gives each one of 20). Kept ones
 * go to the tail in the order they were; a letter dead-lettered meanwhile
 * lands among them. A process stopped between a copy and its ack leaves the
 * letter twice, never lost: a walk meeting a message id it has already seen
 * removes the second one without asking `visit`. One walk of a queue at a
 * time, in this process and across processes (see `takeTurn`). Rejects with
 * NoDeadLetterQueue when `queue` is not there, WalkUnderWay when another walk
 * holds it too long, and a 409 COPY_REFUSED when the broker refuses a copy (a
 * full queue, a queue gone): the letters of that batch not yet acked are then
 * published back, as they were, to the tail of `queue` and acked; only those
 * the broker refuses there too go back to the queue as the channel closes,
 * each with one delivery counted.
 */
export async function walk(connection: Connection, queue: string, visit: (m: SyncMessage, id: string) => Fate | Promise<Fate>, o: WalkOptions = {}): Promise<void> {
  const endTurn = await takeTurn(connection, queue, o.turnWaitMs)
  let ch: Channel | undefined
  try {
    ch = await connection.acquire()
    const depth = (await ch.queueDeclare({ queue, passive: true }).catch((err: unknown) => Promise.reject(noQueue(err, queue)))).messageCount
    await ch.confirmSelect()
    const returned = new Set<string>()
    ch.on('basic.return', (m: ReturnedMessage) => returned.add(copyKey(m.routingKey, m.messageId)))
    const seen = new Set<string>()
    for (let taken = 0; taken < depth; ) {
      const batch: Taken[] = []
      while (batch.length < BATCH && taken < depth) {
        const m = await ch.basicGet({ queue, noAck: false })
        if (!m) break
        taken++
        const { id } = messageIdentity(m.body, m)
        batch.push({ m, id, fate: seen.has(id) ? undefined : await visit(m, id) })
        seen.add(id)
      }
      if (batch.length === 0) break
      await settle(ch, queue, batch, returned)
    }
  } finally {
    await ch?.close()
    await endTurn()
  }
}

/**
 * Publishes the batch's copies, awaits their confirms, acks each letter whose
 * copy the broker took (or that has none); the others are put back at the
 * tail of `queue`, then refused with the first reason.
 */
async function settle(ch: Channel, queue: string, batch: Taken[], returned: Set<string>): Promise<void> {
  const refusals = await publishCopies(ch, batch, returned)
  for (const [i, { m }] of batch.entries()) if (refusals[i] === undefined) ch.basicAck({ deliveryTag: m.deliveryTag })
  const first = refusals.findIndex((r) => r !== undefined)
  if (first === -1) return
  const refused = batch.filter((_, i) => refusals[i] !== undefined)
  const back = await publishCopies(ch, refused.map(({ m, id }) => ({ m, id, fate: { queue, headers: letterHeaders(m) } })), returned)
  for (const [i, { m }] of refused.entries()) if (back[i] === undefined) ch.basicAck({ deliveryTag: m.deliveryTag })
  const { id, fate } = batch[first]!
  throw new DomainError(409, 'COPY_REFUSED', `the broker took no copy of ${id} into ${fate!.queue}: ${refusals[first]}; the letters not yet moved stay in ${queue}`)
}

/** Publishes each letter's copy (publisher confirms, mandatory); resolves with why the broker took none, for each letter it refused. */
async function publishCopies(ch: Channel, batch: Taken[], returned: Set<string>): Promise<(string | undefined)[]> {
  const sent = await Promise.allSettled(batch.map(({ m, id, fate }) => (fate ? ch.basicPublish({ ...copyProperties(m, id), exchange: '', routingKey: fate.queue, headers: fate.headers, mandatory: true }, bodyBytes(m.body ?? '')) : undefined)))
  // rabbitmq-client tells of a returned message on the next turn of the event loop, after its confirm.
  if (batch.some((b) => b.fate)) await new Promise((r) => setImmediate(r))
  return batch.map(({ m, id, fate }, i) => {
    const outcome = sent[i]!
    if (!fate) return undefined
    if (outcome.status === 'rejected') return `${describe(outcome.reason)} (a full queue refuses them)`
    if (returned.delete(copyKey(fate.queue, m.messageId ?? id))) return 'the queue is not there'
    return undefined
  })
}

/** A letter's own headers, as its copy carries them: without the count a quorum queue keeps of its deliveries. */
export function letterHeaders(m: SyncMessage): Record<string, unknown> {
  const { 'x-delivery-count': _count, ...h } = (m.headers ?? {}) as Record<string, unknown>
  return h
}

const copyKey = (queue: string, messageId: string | undefined) => `${queue}\n${messageId ?? ''}`

/**
 * A letter's properties for its copy. A letter with no AMQP message id gets
 * the one it is known by: its body is re-encoded on the way (rabbitmq-client
 * decodes JSON), and an id derived from the bytes must not change with it.
 */
function copyProperties(m: SyncMessage, id: string) {
  const { deliveryTag: _d, redelivered: _r, exchange: _e, routingKey: _k, messageCount: _c, body: _b, headers: _h, ...props } = m
  return { ...props, messageId: m.messageId ?? id, durable: true }
}

const noQueue = (err: unknown, queue: string): unknown => ((err as { code?: unknown })?.code === 'NOT_FOUND' ? new NoDeadLetterQueue(queue, { cause: err }) : err)

/** The walks of each queue in this process, one after another, per connection. */
const turns = new WeakMap<Connection, Map<string, Promise<void>>>()

/** How long a walk waits for another one of the same queue to end, unless told. */
const TURN_WAIT_MS = 60_000

/**
 * Resolves once no other walk of `queue` is under way, then holds it until
 * the returned function is called. Within this process, walks of one
 * connection queue up; across processes, a walk holds the exclusive queue
 * `<queue>.walk`, which the broker deletes with its connection should the
 * process die. Rejects with WalkUnderWay after `waitMs` of another walk.
 */
export async function takeTurn(connection: Connection, queue: string, waitMs = TURN_WAIT_MS): Promise<() => Promise<void>> {
  const deadline = Date.now() + waitMs
  const queued = turns.get(connection) ?? new Map<string, Promise<void>>()
  turns.set(connection, queued)
  let done!: () => void
  const mine = new Promise<void>((r) => (done = r))
  const before = queued.get(queue) ?? Promise.resolve()
  const last = before.then(() => mine)
  queued.set(queue, last)
  const release = () => {
    done()
    if (queued.get(queue) === last) queued.delete(queue)
  }
  const lock = `${queue}.walk`
  try {
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), waitMs)))
    const waited = await Promise.race([before, late]).finally(() => clearTimeout(timer))
    if (waited === 'late' || !(await holdLock(connection, lock, deadline))) throw new WalkUnderWay(queue, waitMs)
  } catch (err) {
    release()
    throw err
  }
  return async () => {
    try {
      await connection.queueDelete({ queue: lock })
    } finally {
      release()
    }
  }
}

/** Declares the exclusive queue `lock`, trying again while another connection holds it; false once `deadline` is near. */
async function holdLock(connection: Connection, lock: string, deadline: number): Promise<boolean> {
  for (;;) {
    // A channel of its own: a refused declare closes the channel it was made on.
    const ch = await connection.acquire()
    try {
      await ch.queueDeclare({ queue: lock, exclusive: true, arguments: { 'x-queue-type': 'classic' } })
      return true
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'RESOURCE_LOCKED') throw err
    } finally {
      await ch.close()
    }
    if (Date.now() >= deadline) return false
    await new Promise((r) => setTimeout(r, Math.min(100, deadline - Date.now())))
  }
}
