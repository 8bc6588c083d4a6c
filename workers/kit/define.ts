import type { Static } from '@sinclair/typebox'
import type { AsyncMessage, Connection } from 'rabbitmq-client'
import type { Actor, CommandResult, Database, DomainError, Emit, Envelope, Logger, Tx } from '../../core/index.ts'
import { commands, type CommandPayload, type CommandSuccess, type CommandType } from '../../schemas/commands/index.ts'
import type { RuntimeTables } from '../../schemas/db/runtime.ts'
import { catalogue } from '../../schemas/events/index.ts'

export type Catalogue = typeof catalogue
export type Commands = typeof commands

export interface WorkContext {
  tx: Tx
  emit: Emit<Catalogue>
  log: Logger
}

export interface EventContext extends WorkContext {
  /** The event id the inbox dedupes on. */
  messageId: string
  attempt: number
}

export interface Command<P> {
  command_id: string
  correlation_id: string | null
  actor: Actor
  payload: P
}

/** What a handler of many messages at once may use: the transaction; each message emits with its own `emit`. */
export interface BatchContext {
  tx: Tx
  log: Logger
}

/**
 * A handler of many events of one type at once (one statement for all of
 * them, say), for the busiest types: the kit gives it the events of that type
 * that arrived together. Should it fail, the kit gives it the events one by one.
 */
export interface EventBatchHandler<P> {
  batch(events: { event: Envelope<P>; emit: Emit<Catalogue> }[], ctx: BatchContext): Promise<void>
}

/**
 * A handler of many commands of one type at once. It answers one entry per
 * command, in order: its result, or the DomainError that refuses it, in which
 * case nothing of that command may have been done or emitted.
 */
export interface CommandBatchHandler<P, R extends CommandResult = CommandResult> {
  batch(commands: { command: Command<P>; emit: Emit<Catalogue> }[], ctx: BatchContext): Promise<(R | DomainError)[]>
}

/**
 * A handler of every event the service's queue receives, whatever its type,
 * known to the catalogue or not, its payload valid or not (an audit trail):
 * given the events that arrived together, each with the message it came in
 * and its attempt (1 on first delivery, one more per retry). Should it fail,
 * the kit gives it the events one by one.
 */
export interface EveryEventHandler {
  batch(events: { event: Envelope; message: AsyncMessage; attempt: number; emit: Emit<Catalogue> }[], ctx: BatchContext): Promise<void>
}

/** The payload of a command type (the catalogue's). */
export type { CommandPayload }

/**
 * What a handler answers a command of type K with: the catalogue's answer
 * (`result`), or a refusal it answers without throwing (nothing it did is
 * undone then): a 4xx status with the error body.
 */
export type CommandAnswerOf<K extends CommandType> = CommandSuccess<K> | Refusal

/** A refusal as a command's answer: the error body, with its 4xx status. */
export interface Refusal {
  status: 400 | 401 | 403 | 404 | 409 | 422 | 429
  body: { error: string; message: string; [field: string]: unknown }
}

/** A handler of the events of type `T` one at a time. */
export type EventFunction<T extends keyof Catalogue> = (event: Envelope<Static<Catalogue[T]['payload']>>, ctx: EventContext) => Promise<void>

export type EventHandlers = {
  [T in keyof Catalogue]?: ((event: Envelope<Static<Catalogue[T]['payload']>>, ctx: EventContext) => Promise<void>) | EventBatchHandler<Static<Catalogue[T]['payload']>>
}

/** What the effect of a command outside the database may use. */
export interface EffectContext {
  db: Database
  connection: Connection
  namespace: string
  log: Logger
}

/**
 * A command whose work is outside the database (on the broker's queues, say):
 * `effect` does it before the transaction, unless the command was answered
 * already, and `apply` records it in the transaction (its events, its answer).
 * A DomainError thrown by `effect` refuses the command as one of `apply`'s
 * would. What `effect` answers (JSON) or the refusal it throws is stored under
 * the command's id as soon as it is done: should the worker stop or the
 * transaction fail after it, the command comes back and `apply` is given that
 * outcome, the effect is not done again. Only a worker stopped between the
 * effect and that row does it twice.
 */
export interface CommandEffectHandler<P, E = any, R extends CommandResult = CommandResult> {
  effect(command: Command<P>, ctx: EffectContext): Promise<E>
  apply(command: Command<P>, done: E, ctx: WorkContext): Promise<R>
}

/** A handler of the commands of type K one at a time. */
export type CommandFunction<K extends CommandType> = (command: Command<CommandPayload<K>>, ctx: WorkContext) => Promise<CommandAnswerOf<K>>
/** A handler of many commands of type K at once. */
export type CommandBatchOf<K extends CommandType> = CommandBatchHandler<CommandPayload<K>, CommandAnswerOf<K>>
/** A handler of the commands of type K whose work is outside the database, `E` what that work answers. */
export type CommandEffectOf<K extends CommandType, E> = CommandEffectHandler<CommandPayload<K>, E, CommandAnswerOf<K>>

/** A worker's handlers by command type: each answers what the catalogue says its command answers. */
export type CommandHandlers = {
  [K in keyof Commands]?:
    | CommandFunction<K>
    | CommandBatchOf<K>
    | CommandEffectOf<K, any>
}

/** Handlers as the kit runs them, whatever they answer: it stores and returns their answers as they are. */
export type AnyCommandHandlers = {
  [K in keyof Commands]?:
    | ((command: Command<CommandPayload<K>>, ctx: WorkContext) => Promise<CommandResult>)
    | CommandBatchHandler<CommandPayload<K>>
    | CommandEffectHandler<CommandPayload<K>>
}

/** What a background loop of a worker (e.g. an email sender) may use. */
export interface BackgroundContext {
  db: Database
  log: Logger
  /**
   * Applies one unit of work exactly like a message: `id` is recorded in the
   * inbox (a second call with the same id does nothing), events emitted are
   * published after commit. Rejects with the failure when it did not apply.
   */
  apply(id: string, work: (ctx: WorkContext) => Promise<void>): Promise<'applied' | 'duplicate'>
}

interface WorkerParts {
  service: string
  tables: RuntimeTables
  commands?: CommandHandlers
  /** Loops that run beside the consumers; each returns how to stop it (awaited on shutdown, before closing). */
  background?: ((ctx: BackgroundContext) => () => Promise<void>)[]
}

/**
 * A service's worker: its name, its tables, and a handler per message type,
 * or one handler for every event (its events queue has one consumer: not
 * both). The kit does the rest.
 */
export type WorkerDefinition = WorkerParts & ({ events?: EventHandlers; everyEvent?: never } | { everyEvent: EveryEventHandler; events?: never })

export function defineWorker(definition: WorkerDefinition): WorkerDefinition {
  return definition
}
