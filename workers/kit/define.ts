import type { Static } from '@sinclair/typebox'
import type { Actor, CommandResult, Emit, Envelope, Logger, Tx } from '../../core/index.ts'
import { commands } from '../../schemas/commands/index.ts'
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

export type EventHandlers = {
  [T in keyof Catalogue]?: (event: Envelope<Static<Catalogue[T]['payload']>>, ctx: EventContext) => Promise<void>
}

export type CommandHandlers = {
  [K in keyof Commands]?: (command: Command<Static<Commands[K]['payload']>>, ctx: WorkContext) => Promise<CommandResult>
}

/** A service's worker: its name, its tables, and a handler per message type. The kit does the rest. */
export interface WorkerDefinition {
  service: string
  tables: RuntimeTables
  events?: EventHandlers
  commands?: CommandHandlers
}

export function defineWorker(definition: WorkerDefinition): WorkerDefinition {
  return definition
}
