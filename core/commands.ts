import { Buffer } from 'node:buffer'
import { setImmediate } from 'node:timers'
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { AsyncMessage, Channel, Connection, ReturnedMessage } from 'rabbitmq-client'
import { problemsOf } from './catalogue.ts'
import { PermanentError, TransientError, ValidationError, describe } from './errors.ts'
import { MessageId } from './envelope.ts'
import { depthProblem } from './json.ts'
import { withTimeout } from './timeout.ts'
import { Names } from './topology.ts'

export const Actor = Type.Object({
  user_id: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  role: Type.String({ minLength: 1 }),
})
export type Actor = Static<typeof Actor>

/**
 * The actor stored with the failure of a command whose body could not be read:
 * no user has this id, so only an admin can read that operation (a `null`
 * actor is an anonymous caller's, whose operation anyone holding its id may read).
 */
export const UNKNOWN_ACTOR = '(unknown)'

/** A command on the wire (docs/events.md, Wire format). */
export const CommandMessage = Type.Object({
  command_id: MessageId,
  command_type: Type.String({ pattern: '^[a-z]+\\.[a-z_]+$' }),
  correlation_id: Type.Union([MessageId, Type.Null()]),
  actor: Actor,
  payload: Type.Record(Type.String(), Type.Unknown()),
})
export type CommandMessage = Static<typeof CommandMessage>

/** The worker's answer to a command: the HTTP status and body the caller gets. */
export interface CommandReply {
  command_id: string
  outcome: 'succeeded' | 'failed'
  status: number
  body: unknown
}

const commandCheck = TypeCompiler.Compile(CommandMessage)

/** Reads a delivered command; permanent errors for a body that is not a JSON command. */
export function parseCommand(body: unknown): CommandMessage {
  let data = body
  if (body instanceof Uint8Array || typeof body === 'string') {
    try {
      data = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'))
    } catch (cause) {
      throw new PermanentError('NOT_JSON', 'message body is not JSON', { cause })
    }
  }
  const deep = depthProblem(data)
  if (deep) throw new ValidationError('the command nests too deeply', [deep])
  if (!commandCheck.Check(data)) throw new ValidationError('invalid command', problemsOf(commandCheck, data))
  return data
}

export type DispatchOutcome = { kind: 'replied'; reply: CommandReply } | { kind: 'accepted' }

export interface DispatcherOptions {
  connection: Connection
  /** @default '' */
  namespace?: string
  /** How long to wait for the worker's reply before answering "accepted". @default 3000 */
  waitMs?: number
  /** How long the broker may take to confirm the command. @default 2000 */
  confirmTimeoutMs?: number
}

export interface CommandDispatcher {
  /**
   * Publishes the command persistently with confirms and waits for the
   * worker's reply over direct reply-to. Resolves with the reply, or with
   * `accepted` when none came within `waitMs` (also when the broker took the
   * write but did not confirm in time: it may still be applied); rejects with a
   * TransientError (code BROKER_UNAVAILABLE) only when the command surely was
   * not taken. With `waitMs: 0`, resolves `accepted` as soon as the broker took
   * the command, without waiting for the worker at all.
   */
  dispatch(command: CommandMessage, options?: { waitMs?: number }): Promise<DispatchOutcome>
  close(): Promise<void>
}

const REPLY_QUEUE = 'amq.rabbitmq.reply-to'

/**
 * Whether a failed publish proves the broker did not take the command: it
 * nacked it, or closed the channel because of the publish itself (an exchange
 * that does not exist, say). A channel or connection that closed after the
 * command was written proves nothing: the broker may have queued it.
 */
function refusedByBroker(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const { code } = err as { code?: unknown }
  return code === 'NACK' || (err.name === 'AMQPChannelError' && err.message.startsWith('BasicPublish:'))
}

/** Callbacks by command id, each removed on its own: the same command sent twice at once (one Idempotency-Key) keeps both. */
class Listeners<T> {
  readonly #byId = new Map<string, Set<(value: T) => void>>()

  /** Calls `listener` with every value notified for `id`; returns what removes it. */
  add(id: string, listener: (value: T) => void): () => void {
    const listeners = this.#byId.get(id) ?? new Set()
    listeners.add(listener)
    this.#byId.set(id, listeners)
    return () => {
      listeners.delete(listener)
      if (listeners.size === 0 && this.#byId.get(id) === listeners) this.#byId.delete(id)
    }
  }

  notify(id: string, value: T): void {
    for (const listener of this.#byId.get(id) ?? []) listener(value)
  }
}

export function createCommandDispatcher(o: DispatcherOptions): CommandDispatcher {
  const exchange = new Names(o.namespace).commands
  const waitMs = o.waitMs ?? 3_000
  const confirmTimeoutMs = o.confirmTimeoutMs ?? 2_000
  const waiting = new Listeners<CommandReply>()
  const returned = new Listeners<void>()
  let channel: Promise<Channel> | undefined

  function onReply(msg: AsyncMessage) {
    const reply = (Buffer.isBuffer(msg.body) ? JSON.parse(msg.body.toString('utf8')) : msg.body) as CommandReply
    waiting.notify(reply.command_id, reply)
  }

  function open(): Promise<Channel> {
    channel ??= (async () => {
      const ch = await o.connection.acquire()
      ch.on('close', () => (channel = undefined))
      ch.on('basic.return', (m: ReturnedMessage) => returned.notify(m.messageId ?? '', undefined))
      await ch.confirmSelect()
      await ch.basicConsume({ queue: REPLY_QUEUE, noAck: true }, onReply)
      return ch
    })().catch((err) => {
      channel = undefined
      throw err
    })
    return channel
  }

  const unavailable = (why: string, cause?: unknown) => new TransientError('BROKER_UNAVAILABLE', why, cause === undefined ? undefined : { cause })

  /**
   * Sends the command. Rejects (it surely was not taken) when no open channel
   * could be had, the broker nacked it, refused the publish itself or no queue
   * takes it; resolves `confirmed` or, when the broker stayed silent past the
   * timeout or the link broke once the command was handed to it, `unknown`: it
   * may yet be applied, so the caller must not say it was not.
   */
  async function publish(command: CommandMessage): Promise<'confirmed' | 'unknown'> {
    const ch = await withTimeout(open(), confirmTimeoutMs, () => unavailable(`no broker channel within ${confirmTimeoutMs} ms`)).catch((err) => {
      throw err instanceof TransientError ? err : unavailable(`broker unreachable: ${describe(err)}`, err)
    })
    if (!ch.active) throw unavailable('the broker channel closed before the command could be sent')
    let stopListening = () => {}
    const unroutable = new Promise<never>((_, reject) => (stopListening = returned.add(command.command_id, () => reject(unavailable(`no queue takes ${command.command_type}`)))))
    unroutable.catch(() => {})
    const confirmed = ch
      .basicPublish(
        {
          exchange,
          routingKey: command.command_type,
          mandatory: true,
          messageId: command.command_id,
          type: command.command_type,
          contentType: 'application/json',
          durable: true,
          replyTo: REPLY_QUEUE,
          ...(command.correlation_id ? { correlationId: command.correlation_id } : {}),
        },
        Buffer.from(JSON.stringify(command), 'utf8'),
      )
      // The broker sends basic.return before it confirms an unroutable message, but the client emits the
      // return on the next turn of the event loop (setImmediate) and the confirm at once: wait for that turn.
      .then(
        () => new Promise<'confirmed'>((resolve) => setImmediate(() => resolve('confirmed'))),
        (err) => (refusedByBroker(err) ? Promise.reject(unavailable(`broker refused the command: ${describe(err)}`, err)) : ('unknown' as const)),
      )
    const settled = Promise.race([unroutable, confirmed])
    return withTimeout(settled, confirmTimeoutMs)
      .catch((err) => {
        if (err instanceof TransientError) throw err
        return 'unknown' as const
      })
      .finally(stopListening)
  }

  return {
    async dispatch(command, options = {}) {
      const wait = options.waitMs ?? waitMs
      let stopWaiting = () => {}
      const reply = new Promise<CommandReply>((resolve) => (stopWaiting = waiting.add(command.command_id, resolve)))
      try {
        await publish(command)
        if (wait === 0) return { kind: 'accepted' }
        const answered = await withTimeout(reply, wait).catch(() => undefined)
        return answered ? { kind: 'replied', reply: answered } : { kind: 'accepted' }
      } finally {
        stopWaiting()
      }
    },
    async close() {
      const ch = await channel?.catch(() => undefined)
      await ch?.close()
    },
  }
}
