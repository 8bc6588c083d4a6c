import { describe, type Database, type Logger, type WorkItem } from '../../core/index.ts'
import type { WorkerConfig } from './config.ts'
import type { BackgroundContext, Catalogue, WorkerDefinition } from './define.ts'
import type { ApplyPipeline } from './pipeline.ts'

/**
 * Runs `run` every `everyMs`, the next round counted from the end of the
 * last; a round that fails is logged and the next one comes. The first round
 * runs after `everyMs`, or at once with `now`. Resolves the stop once the
 * round in hand (if any) has ended; none starts after.
 */
export function repeat(everyMs: number, run: () => Promise<unknown>, o: { what: string; log: Logger; now?: boolean }): () => Promise<void> {
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<unknown> = Promise.resolve()
  const tick = () => {
    running = run()
      .catch((err) => o.log.warn(`${o.what} failed`, { error: describe(err) }))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, everyMs)
      })
  }
  timer = setTimeout(tick, o.now ? 0 : everyMs)
  return async () => {
    stopped = true
    clearTimeout(timer)
    await running
  }
}

/** How often inbox rows (and sent outbox rows) past INBOX_RETENTION_MS are deleted. */
const INBOX_PRUNE_MS = 60_000

/**
 * The outbox relay (rows left unsent by a process that died between commit
 * and publish, every RELAY_INTERVAL_MS) and the inbox prune. Returns how to
 * stop both, once the last batch is done: the relay's last round may still
 * publish.
 */
export function startHousekeeping(pipeline: ApplyPipeline, config: Pick<WorkerConfig, 'RELAY_INTERVAL_MS' | 'INBOX_RETENTION_MS'>, log: Logger): () => Promise<void> {
  const stops = [
    repeat(config.RELAY_INTERVAL_MS, () => pipeline.outbox.relayOnce(), { what: 'outbox relay', log }),
    repeat(INBOX_PRUNE_MS, () => pipeline.outbox.prune(config.INBOX_RETENTION_MS), { what: 'inbox prune', log }),
  ]
  return async () => {
    await Promise.all(stops.map((stop) => stop()))
  }
}

/**
 * Starts the worker's own background tasks (an email sender, a sweep), each
 * applying its work through the pipeline like a message. Returns how to stop
 * them all: each ends what it has in hand.
 */
export function startTasks(tasks: NonNullable<WorkerDefinition['background']>, o: { db: Database; pipeline: ApplyPipeline; log: Logger }): () => Promise<void> {
  const ctx: BackgroundContext = {
    db: o.db,
    log: o.log,
    async apply(id, work) {
      const item: WorkItem<Catalogue> = { consumer: 'background', messageId: id, correlationId: null, apply: (tx, emit) => work({ tx, emit, log: o.log }) }
      return (await o.pipeline.apply(item)).kind === 'duplicate' ? 'duplicate' : 'applied'
    },
  }
  const stops = tasks.map((start) => start(ctx))
  return async () => {
    await Promise.all(stops.map((stop) => stop()))
  }
}
