import { createLogger, readinessProblems, workerPort, type Logger, type QueueConsumer } from '../../core/index.ts'
import { appliedMessages } from './applied.ts'
import { consumeCommands } from './command-consumer.ts'
import type { WorkerConfig } from './config.ts'
import type { WorkerDefinition } from './define.ts'
import { consumeEvents } from './event-consumer.ts'
import { consumeEveryEvent } from './every-event-consumer.ts'
import { serveWorkerHttp } from './http.ts'
import { startHousekeeping, startTasks } from './loops.ts'
import { Metrics } from './metrics.ts'
import { consumedMetrics } from './outcomes.ts'
import { createApplyPipeline } from './pipeline.ts'
import { openResources } from './resources.ts'
import { shutdown } from './shutdown.ts'

export interface RunningWorker {
  /** Port of /health, /ready, /metrics and /applied. */
  port: number
  metrics: Metrics
  /** Stops taking messages, finishes and acks the ones in hand, publishes what was committed, closes. */
  close(): Promise<void>
}

/** Starts a service worker: topology, consumers, inbox/outbox, relay, background tasks, HTTP probes. */
export async function startWorker(def: WorkerDefinition, config: WorkerConfig, logger?: Logger): Promise<RunningWorker> {
  const log = logger ?? createLogger({ service: `${def.service}-worker`, level: config.LOG_LEVEL })
  const resources = await openResources(def.service, config, log)
  const metrics = new Metrics()
  const pipeline = createApplyPipeline({ resources, tables: def.tables, config, metrics, log })
  const outcomes = consumedMetrics(metrics)
  const piece = { resources, pipeline, config, log }

  const consumers: QueueConsumer[] = []
  if (def.events) consumers.push(await consumeEvents(def.events, { ...piece, onOutcome: outcomes('events') }))
  if (def.everyEvent) consumers.push(consumeEveryEvent(def.everyEvent, { ...piece, onOutcome: outcomes('events') }))
  if (def.commands) consumers.push(consumeCommands(def.commands, { ...piece, tables: def.tables, onOutcome: outcomes('commands') }))
  await Promise.all(consumers.map((c) => c.ready))

  const stopTasks = startTasks(def.background ?? [], { db: resources.db, pipeline, log })
  const housekeeping = startHousekeeping(pipeline, config, log)
  const http = serveWorkerHttp({
    port: config.PORT ?? workerPort(def.service),
    hostname: config.HOST,
    service: def.service,
    metrics,
    ready: () => readinessProblems(resources.db, () => resources.connection.ready),
    applied: (ids) => appliedMessages(resources.db, def.tables, ids),
  })
  log.info('worker started', { port: http.port, queues: consumers.length, namespace: config.MEDTRACK_NAMESPACE })

  let closing: Promise<void> | undefined
  return {
    port: http.port,
    metrics,
    /** Idempotent: a second signal waits for the same shutdown. */
    close() {
      closing ??= shutdown({ log, resources, pipeline, intake: [...consumers.map((c) => () => c.close()), stopTasks], housekeeping, http })
      return closing
    },
  }
}
