import { setImmediate } from 'node:timers'
import type { Channel, Connection, ReturnedMessage, SyncMessage } from 'rabbitmq-client'
import { bodyBytes, messageIdentity } from './envelope.ts'
import { describe } from './errors.ts'

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

/** How long a walk waits for another one of the same queue, in any process, to end. */
const TURN_WAIT_MS = 60_000

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
 * the cause when a copy cannot be published; the letters not yet acked then
 * go back to the queue as the channel closes, the only way to keep them.
 */
export async function walk(connection: Connection, queue: string, visit: (m: SyncMessage, id: string) => Fate | Promise<Fate>): Promise<void> {
  const endTurn = await takeTurn(connection, queue)
  let ch: Channel | undefined
  try {
    ch = await connection.acquire()
    const depth = (await ch.queueDeclare({ queue, passive: true }).catch((err: unknown) => Promise.reject(noQueue(err, queue)))).messageCount
    await ch.confirmSelect()
    const returned = new Set<string>()
    ch.on('basic.return', (m: ReturnedMessage) => returned.add(copyKey(m.routingKey, m.messageId)))
    const seen = new Set<string>()
    for (let taken = 0; taken < depth; ) {
      const batch: { m: SyncMessage; id: string; fate: Fate }[] = []
      while (batch.length < BATCH && taken < depth) {
        const m = await ch.basicGet({ queue, noAck: false })
        if (!m) break
        taken++
        const { id } = messageIdentity(m.body, m)
        batch.push({ m, id, fate: seen.has(id) ? undefined : await visit(m, id) })
        seen.add(id)
      }
      if (batch.length === 0) break
      await settle(ch, batch, returned)
    }
  } finally {
    await ch?.close()
    await endTurn()
  }
}

/** Publishes the batch's copies, awaits their confirms, acks each letter whose copy the broker took (or that has none). */
async function settle(ch: Channel, batch: { m: SyncMessage; id: string; fate: Fate }[], returned: Set<string>): Promise<void> {
  const sent = await Promise.allSettled(batch.map(({ m, id, fate }) => (fate ? ch.basicPublish({ ...copyProperties(m, id), exchange: '', routingKey: fate.queue, headers: fate.headers, mandatory: true }, bodyBytes(m.body ?? '')) : undefined)))
  // rabbitmq-client tells of a returned message on the next turn of the event loop, after its confirm.
  if (batch.some((b) => b.fate)) await new Promise((r) => setImmediate(r))
  const failures = batch.map(({ m, id, fate }, i) => {
    const outcome = sent[i]!
    if (!fate) return undefined
    if (outcome.status === 'rejected') return new Error(`the broker took no copy of ${id} into ${fate.queue} (a full queue refuses them): ${describe(outcome.reason)}`, { cause: outcome.reason })
    if (returned.has(copyKey(fate.queue, m.messageId ?? id))) return new Error(`the broker took no copy of ${id} into ${fate.queue}: the queue is not there`)
    return undefined
  })
  const failure = failures.find((f) => f !== undefined)
  for (const [i, { m }] of batch.entries()) if (failures[i] === undefined) ch.basicAck({ deliveryTag: m.deliveryTag })
  if (failure !== undefined) throw failure
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

/** The dead-letter queue is not there: nothing has declared the service's topology in this namespace. */
export function noQueue(err: unknown, queue: string): unknown {
  return (err as { code?: unknown })?.code === 'NOT_FOUND' ? new Error(`there is no dead-letter queue ${queue}: the service's worker has not run in this namespace`, { cause: err }) : err
}

/** The walks of each queue in this process, one after another, per connection. */
const turns = new WeakMap<Connection, Map<string, Promise<void>>>()

/**
 * Resolves once no other walk of `queue` is under way, then holds it until
 * the returned function is called. Within this process, walks of one
 * connection queue up; across processes, a walk holds the exclusive queue
 * `<queue>.walk`, which the broker deletes with its connection should the
 * process die. Rejects after TURN_WAIT_MS of another walk.
 */
export async function takeTurn(connection: Connection, queue: string): Promise<() => Promise<void>> {
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
  await before
  const lock = `${queue}.walk`
  try {
    await holdLock(connection, queue, lock)
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

async function holdLock(connection: Connection, queue: string, lock: string): Promise<void> {
  const deadline = Date.now() + TURN_WAIT_MS
  for (;;) {
    // A channel of its own: a refused declare closes the channel it was made on.
    const ch = await connection.acquire()
    try {
      await ch.queueDeclare({ queue: lock, exclusive: true, arguments: { 'x-queue-type': 'classic' } })
      return
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'RESOURCE_LOCKED') throw err
      if (Date.now() > deadline) throw new Error(`another walk of ${queue} has gone on for ${TURN_WAIT_MS / 1_000} s: try again once it ends`, { cause: err })
    } finally {
      await ch.close()
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}
