import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { AsyncMessage } from 'rabbitmq-client'
import {
  BrokerConnection,
  compileCatalogue,
  createBatcher,
  createEventConsumer,
  createLogger,
  createOutbox,
  createPublisher,
  createQueueConsumer,
  createUnitOfWork,
  declareTopology,
  describe,
  isMessageId,
  Names,
  olderQueueWarning,
  UNKNOWN_ACTOR,
  openDatabase,
  parseCommand,
  PermanentError,
  problemsOf,
  readinessProblems,
  unprocessable,
  type CommandReply,
  type CommandResult,
  DomainError,
  type Emit,
  type EventHandler,
  type TogetherApply,
  type Tx,
  type Logger,
  type Outcome,
  type QueueConsumer,
  type WorkItem,
  type WorkOutcome,
  type Database,
  workerPort,
} from '../../core/index.ts'
import type { RuntimeTables } from '../../schemas/db/runtime.ts'
import { commandBindings, commands } from '../../schemas/commands/index.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { retryTiers, type WorkerConfig } from './config.ts'
import type { Catalogue, WorkerDefinition } from './define.ts'
import { serveWorkerHttp } from './http.ts'
import { Metrics } from './metrics.ts'

/**
 * A command about to be set aside in the dead-letter queue still gets an answer:
 * its operation resolves to a failure instead of staying pending for ever.
 */
async function recordCommandFailure(db: Database, tables: RuntimeTables, message: AsyncMessage): Promise<void> {
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

/** A batch handler as the kit calls it: each message as `{event, emit}` or `{command, emit}`; a command batch answers. */
interface BatchHandler {
  batch(items: Record<string, unknown>[], ctx: { tx: Tx; log: Logger }): Promise<(CommandResult | DomainError)[] | void>
}

const isBatched = (handler: unknown): handler is BatchHandler => typeof handler === 'object' && handler !== null && typeof (handler as { batch?: unknown }).batch === 'function'

export interface RunningWorker {
  /** Port of /health, /ready and /metrics. */
  port: number
  metrics: Metrics
  /** Stops taking messages, finishes and acks the ones in hand, publishes what was committed, closes. */
  close(): Promise<void>
}

const validator = compileCatalogue(catalogue)
const commandChecks = new Map(Object.entries(commands).map(([type, def]) => [type, TypeCompiler.Compile(def.payload)]))

/** Starts a service worker: topology, consumers, inbox/outbox, relay, HTTP probes. */
export async function startWorker(def: WorkerDefinition, config: WorkerConfig, logger?: Logger): Promise<RunningWorker> {
  const log = logger ?? createLogger({ service: `${def.service}-worker`, level: config.LOG_LEVEL })
  const namespace = config.MEDTRACK_NAMESPACE
  const names = new Names(namespace)
  const tiers = retryTiers(config)
  const db = openDatabase(config.DATABASE_URL, { max: config.BATCH_CONCURRENCY + 1 })
  const connection = new BrokerConnection({ url: config.RABBITMQ_URL, connectionName: `${def.service}-worker`, retryLow: 200, retryHigh: 5_000 })
  connection.on('error', (err) => log.warn('broker connection error', { error: describe(err) }))

  const topo = { namespace, services: [def.service], retryTiers: tiers, commands: commandBindings() }
  const declared = await declareTopology(connection, { ...topo, onOlderQueue: olderQueueWarning(log) })
  const publisher = createPublisher({ connection, catalogue, service: def.service, namespace, validator, maxAttempts: 1 })
  const outbox = createOutbox({ db, tables: def.tables, publisher, logger: log, relayAfterMs: config.RELAY_AFTER_MS })
  const uow = createUnitOfWork({ db, tables: def.tables, catalogue, validator, service: def.service })
  const metrics = new Metrics()
  const batchSize = metrics.histogram('medtrack_batch_size', 'Messages applied per transaction.', [1, 2, 5, 10, 20, 50, 100, 200, 500])
  const batcher = createBatcher<WorkItem<Catalogue>, WorkOutcome>({
    maxSize: config.PREFETCH,
    maxConcurrent: config.BATCH_CONCURRENCY,
    async run(items) {
      // While the broker confirms less than is committed, no more is taken: the messages wait unacked, and the broker sends no more.
      await outbox.room(config.OUTBOX_MAX_PENDING)
      batchSize({}, items.length)
      const { outcomes, committed } = await uow.run(items)
      // Replies and acks go first, the events right after them, in the same write (BrokerConnection).
      outbox.publishCommitted(committed)
      return outcomes
    },
  })

  const counted = metrics.counter('medtrack_messages_total', 'Messages consumed, by queue, type and outcome (handled, unhandled, retried, dead_lettered).')
  const failed = metrics.counter('medtrack_messages_failed_total', 'Message attempts that failed (then retried or dead-lettered).')
  const duration = metrics.histogram('medtrack_handler_duration_seconds', 'Time from delivery to ack, including the transaction.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])
  metrics.gauge('medtrack_outbox_backlog', 'Outbox events not yet confirmed by the broker.', () => outbox.backlog())
  const onOutcome = (queue: string) => (outcome: Outcome, message: AsyncMessage, ms: number) => {
    const labels = { queue, type: message.type ?? 'unknown' }
    counted({ ...labels, outcome: outcome === 'dead' ? 'dead_lettered' : outcome })
    if (outcome === 'retried' || outcome === 'dead') failed(labels)
    duration({ queue }, ms / 1000)
  }

  const settle = (outcome: WorkOutcome) => {
    if (outcome.kind === 'failed') throw outcome.error
    return outcome
  }

  // What each item applied together is about: its event or its command.
  const subjects = new WeakMap<WorkItem<Catalogue>, unknown>()
  /** Items of a batch handler go together; each alone is a batch of one. */
  function togetherFor(handler: BatchHandler, subject: 'event' | 'command'): TogetherApply<Catalogue> {
    return {
      async apply(tx, list) {
        const answers = await handler.batch(list.map(({ item, emit }) => ({ [subject]: subjects.get(item), emit })), { tx, log })
        if (answers && answers.length !== list.length) throw new Error(`a batch handler answered ${answers.length} times for ${list.length} messages`)
        return answers ?? list.map(() => undefined)
      },
    }
  }
  async function applyAlone(together: TogetherApply<Catalogue>, item: WorkItem<Catalogue>, tx: Tx, emit: Emit<Catalogue>) {
    const [answer] = await together.apply(tx, [{ item, emit }])
    if (answer instanceof DomainError) throw answer
    return answer
  }

  const consumers: QueueConsumer[] = []
  const eventHandlers: Record<string, EventHandler> = {}
  for (const [type, handler] of Object.entries(def.events ?? {})) {
    const together = isBatched(handler) ? togetherFor(handler, 'event') : undefined
    eventHandlers[type] = async (event, ctx) => {
      const item: WorkItem<Catalogue> = {
        consumer: 'events',
        messageId: ctx.messageId,
        correlationId: event.correlation_id,
        redelivered: ctx.redelivered,
        together,
        apply: (tx, emit) =>
          together ? applyAlone(together, item, tx, emit) : (handler as (e: unknown, c: unknown) => Promise<void>)(event, { tx, emit, log: ctx.log, messageId: ctx.messageId, attempt: ctx.attempt }),
      }
      subjects.set(item, event)
      settle(await batcher.submit(item))
    }
  }
  if (def.events) {
    consumers.push(
      await createEventConsumer({
        connection,
        catalogue,
        validator,
        service: def.service,
        namespace,
        handlers: eventHandlers,
        topology: { retryTiers: tiers, commands: topo.commands },
        prefetch: config.PREFETCH,
        concurrency: config.PREFETCH,
        logger: log,
        onOutcome: onOutcome('events'),
      }),
    )
  }

  if (def.commands) {
    const handlers = def.commands as Record<string, ((c: unknown, ctx: unknown) => Promise<{ status: number; body: unknown }>) | BatchHandler>
    const togethers = new Map(Object.entries(handlers).flatMap(([type, h]) => (isBatched(h) ? [[type, togetherFor(h, 'command')] as const] : [])))
    const queue = names.commandQueue(def.service)
    consumers.push(
      createQueueConsumer({
        connection,
        service: def.service,
        queue,
        queueArguments: declared.queues.find((q) => q.queue === queue)?.arguments,
        namespace,
        retryTiers: tiers,
        prefetch: config.PREFETCH,
        concurrency: config.PREFETCH,
        logger: log,
        onOutcome: onOutcome('commands'),
        beforeDeadLetter: (message) => recordCommandFailure(db, def.tables, message),
        async process({ message, reply }) {
          const command = parseCommand(message.body)
          const handler = Object.hasOwn(handlers, command.command_type) ? handlers[command.command_type] : undefined
          // A command is someone waiting for an answer: without a handler it fails (and is set aside), it is not ignored.
          if (!handler) throw new PermanentError('NO_HANDLER', `this worker has no handler for ${command.command_type}`)
          const check = commandChecks.get(command.command_type)
          const cmdLog = log.child({ correlation_id: command.correlation_id, command_id: command.command_id })
          const valid = !check || check.Check(command.payload)
          // A command whose payload is invalid is refused on its own.
          const together = valid ? togethers.get(command.command_type) : undefined
          const item: WorkItem<Catalogue> = {
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
              return (handler as (c: unknown, ctx: unknown) => Promise<{ status: number; body: unknown }>)(command, { tx, emit, log: cmdLog })
            },
          }
          subjects.set(item, command)
          const outcome = settle(await batcher.submit(item))
          if (message.replyTo && outcome.stored) {
            const answer: CommandReply = { command_id: command.command_id, ...outcome.stored }
            await reply(answer).catch((err) => cmdLog.warn('could not reply', { error: describe(err) }))
          }
          return 'handled'
        },
      }),
    )
  }
  await Promise.all(consumers.map((c) => c.ready))

  let stopping = false
  let closing: Promise<void> | undefined
  const loop = (everyMs: number, run: () => Promise<unknown>, what: string) => {
    let timer: ReturnType<typeof setTimeout>
    let running: Promise<unknown> = Promise.resolve()
    const tick = () => {
      running = run()
        .catch((err) => log.warn(`${what} failed`, { error: describe(err) }))
        .finally(() => {
          if (!stopping) timer = setTimeout(tick, everyMs)
        })
    }
    timer = setTimeout(tick, everyMs)
    return async () => {
      clearTimeout(timer)
      await running
    }
  }
  const stopBackground = (def.background ?? []).map((start) =>
    start({
      db,
      log,
      async apply(id, work) {
        const outcome = settle(await batcher.submit({ consumer: 'background', messageId: id, correlationId: null, apply: (tx, emit) => work({ tx, emit, log }) }))
        return outcome.kind === 'duplicate' ? 'duplicate' : 'applied'
      },
    }),
  )
  const stopRelay = loop(config.RELAY_INTERVAL_MS, () => outbox.relayOnce(), 'outbox relay')
  const stopPrune = loop(60_000, () => outbox.prune(config.INBOX_RETENTION_MS), 'inbox prune')

  const http = serveWorkerHttp({
    port: config.PORT ?? workerPort(def.service),
    hostname: config.HOST,
    service: def.service,
    metrics,
    ready: () => readinessProblems(db, () => connection.ready),
  })
  log.info('worker started', { port: http.port, queues: consumers.length, namespace })

  return {
    port: http.port,
    metrics,
    /** Idempotent: a second signal waits for the same shutdown. */
    close() {
      closing ??= shutdown()
      return closing
    },
  }

  async function shutdown() {
    stopping = true
    log.info('worker stopping')
    // From now on the outbox tries once, and nothing waits for it: with the broker away, shutdown still ends.
    outbox.close()
    await Promise.all([...consumers.map((c) => c.close()), ...stopBackground.map((stop) => stop())])
    await batcher.idle()
    await Promise.all([stopRelay(), stopPrune()])
    // One more try for what was committed; should the broker take nothing now, it is the next relay's.
    await outbox.idle()
    await publisher.close()
    http.stop()
    await db.$client.end({ timeout: 5 })
    await connection.close()
    log.info('worker stopped')
  }
}
