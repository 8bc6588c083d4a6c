import { TypeCompiler } from '@sinclair/typebox/compiler'
import { and, eq, not } from 'drizzle-orm'
import type { AsyncMessage } from 'rabbitmq-client'
import {
  createQueueConsumer,
  DomainError,
  describe,
  isMessageId,
  parseCommand,
  PermanentError,
  problemsOf,
  UNKNOWN_ACTOR,
  unprocessable,
  type CommandReply,
  type CommandResult,
  type Database,
  type Problem,
  type QueueConsumer,
  type WorkItem,
} from '../../core/index.ts'
import { commands } from '../../schemas/commands/index.ts'
import type { RuntimeTables } from '../../schemas/db/runtime.ts'
import { queueOptions, type ConsumerPiece } from './consumer-piece.ts'
import type { AnyCommandHandlers, Catalogue, CommandEffectHandler, EffectContext } from './define.ts'
import { about, applyAlone, isBatched, togetherFor, type BatchHandler } from './together.ts'

const commandChecks = new Map(Object.entries(commands).map(([type, def]) => [type, TypeCompiler.Compile(def.payload)]))

/**
 * A command about to be set aside in the dead-letter queue still gets an answer:
 * its operation resolves to a failure instead of staying pending for ever.
 */
export async function recordCommandFailure(db: Database, tables: RuntimeTables, message: AsyncMessage): Promise<void> {
  // An id no result could be stored under (too long, a NUL) names no operation anyone waits on.
  if (!message.messageId || !isMessageId(message.messageId)) return
  let actorId: string | null = UNKNOWN_ACTOR
  try {
    actorId = parseCommand(message.body).actor.user_id
  } catch {
    // Not a readable command: who sent it is unknown, so only an admin can read its failure.
  }
  await db
    .insert(tables.commandResults)
    .values({
      commandId: message.messageId,
      commandType: message.type ?? 'unknown',
      actorId,
      outcome: 'failed',
      httpStatus: 500,
      body: { error: 'COMMAND_FAILED', message: 'the command could not be applied; it was set aside for an operator' },
    })
    .onConflictDoNothing()
}

export interface CommandConsumerPiece extends ConsumerPiece {
  /** Where results are stored (and looked up before an effect). */
  tables: RuntimeTables
}

type CommandFunction = (command: unknown, ctx: unknown) => Promise<CommandResult>

const hasEffect = (handler: unknown): handler is CommandEffectHandler<unknown> => typeof (handler as { effect?: unknown }).effect === 'function'

/** Whether the command has an answer stored (a failure stored as it was set aside does not count: its replay is applied). */
async function answered(db: Database, tables: RuntimeTables, commandId: string): Promise<boolean> {
  const { commandResults: c } = tables
  const rows = await db
    .select({ id: c.commandId })
    .from(c)
    .where(and(eq(c.commandId, commandId), not(and(eq(c.outcome, 'failed'), eq(c.httpStatus, 500))!)))
    .limit(1)
  return rows.length > 0
}

/** What the effect of a command did: its answer, or the DomainError that refused the command. */
type EffectOutcome = { done?: unknown; refused?: DomainError }

/** An effect's outcome as `command_effects` keeps it. */
type StoredEffect = { done?: unknown; refused?: { status: number; code: string; message: string; problems: Problem[] } }

const stored = (o: EffectOutcome): StoredEffect => (o.refused ? { refused: { status: o.refused.status, code: o.refused.code, message: o.refused.message, problems: o.refused.problems } } : { done: o.done })

const outcomeOf = (s: StoredEffect): EffectOutcome => (s.refused ? { refused: new DomainError(s.refused.status, s.refused.code, s.refused.message, s.refused.problems) } : { done: s.done })

async function storedEffect(db: Database, tables: RuntimeTables, commandId: string): Promise<EffectOutcome | undefined> {
  const { commandEffects: e } = tables
  const [row] = await db.select({ outcome: e.outcome }).from(e).where(eq(e.commandId, commandId)).limit(1)
  return row && outcomeOf(row.outcome as StoredEffect)
}

/**
 * The effect of a command done before its transaction, or the DomainError
 * that refused it; nothing for a command answered already. The outcome is
 * stored under the command's id as soon as it is known: a command that comes
 * back before its transaction committed is given that outcome again, its
 * effect not done a second time.
 */
async function doEffect(handler: CommandEffectHandler<unknown>, command: { command_id: string; command_type: string }, o: CommandConsumerPiece, ctx: EffectContext): Promise<EffectOutcome> {
  const { db } = o.resources
  if (await answered(db, o.tables, command.command_id)) return {}
  const before = await storedEffect(db, o.tables, command.command_id)
  if (before) return before
  let outcome: EffectOutcome
  try {
    outcome = { done: await handler.effect(command as never, ctx) }
  } catch (err) {
    if (!(err instanceof DomainError)) throw err
    outcome = { refused: err }
  }
  const kept = await db.insert(o.tables.commandEffects).values({ commandId: command.command_id, commandType: command.command_type, outcome: stored(outcome) }).onConflictDoNothing().returning({ id: o.tables.commandEffects.commandId })
  // Another delivery of the command stored its outcome first: that one is the command's.
  return kept.length > 0 ? outcome : ((await storedEffect(db, o.tables, command.command_id)) ?? outcome)
}

/**
 * Consumes the service's commands queue: each command is checked against its
 * payload schema (refused with 422 on its own if it fails), applied through
 * the pipeline, its result stored and sent to whoever waits (`replyTo`). A
 * command of a type without a handler fails and is set aside; every command
 * set aside gets a failed result first (recordCommandFailure). A handler with
 * an effect outside the database has it done first, once (see doEffect).
 */
export function consumeCommands(handlers: AnyCommandHandlers, o: CommandConsumerPiece): QueueConsumer {
  const { resources, pipeline, log } = o
  const byType = handlers as Record<string, CommandFunction | BatchHandler>
  const togethers = new Map(Object.entries(byType).flatMap(([type, h]) => (isBatched(h) ? [[type, togetherFor(h, log)] as const] : [])))
  const queue = resources.names.commandQueue(resources.service)
  return createQueueConsumer({
    ...queueOptions(o, queue),
    beforeDeadLetter: (message) => recordCommandFailure(resources.db, o.tables, message),
    async process({ message, reply }) {
      const command = parseCommand(message.body)
      const handler = Object.hasOwn(byType, command.command_type) ? byType[command.command_type] : undefined
      // A command is someone waiting for an answer: without a handler it fails (and is set aside), it is not ignored.
      if (!handler) throw new PermanentError('NO_HANDLER', `this worker has no handler for ${command.command_type}`)
      const check = commandChecks.get(command.command_type)
      const cmdLog = log.child({ correlation_id: command.correlation_id, command_id: command.command_id })
      const valid = !check || check.Check(command.payload)
      // A command whose payload is invalid is refused on its own.
      const together = valid ? togethers.get(command.command_type) : undefined
      const effect = valid && hasEffect(handler) ? await doEffect(handler, command, o, { db: resources.db, connection: resources.connection, namespace: resources.topology.namespace, log: cmdLog }) : undefined
      const item: WorkItem<Catalogue> = about(
        {
          consumer: 'commands',
          messageId: command.command_id,
          correlationId: command.correlation_id,
          commandType: command.command_type,
          actorId: command.actor.user_id,
          redelivered: message.redelivered === true,
          together,
          async apply(tx, emit) {
            if (!valid) throw unprocessable('invalid command payload', problemsOf(check!, command.payload, '/payload'))
            if (together) return applyAlone(together, item, tx, emit)
            if (effect?.refused) throw effect.refused
            if (hasEffect(handler)) return handler.apply(command as never, effect?.done, { tx, emit, log: cmdLog })
            return (handler as CommandFunction)(command, { tx, emit, log: cmdLog })
          },
        },
        { command },
      )
      const outcome = await pipeline.apply(item)
      if (message.replyTo && outcome.stored) {
        const answer: CommandReply = { command_id: command.command_id, ...outcome.stored }
        await reply(answer).catch((err) => cmdLog.warn('could not reply', { error: describe(err) }))
      }
      return 'handled'
    },
  })
}
