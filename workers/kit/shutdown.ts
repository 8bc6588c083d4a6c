import type { Logger } from '../../core/index.ts'
import type { ApplyPipeline } from './pipeline.ts'
import type { WorkerResources } from './resources.ts'

export interface RunningParts {
  log: Logger
  resources: Pick<WorkerResources, 'close'>
  pipeline: ApplyPipeline
  /** What takes work in: the consumers (each closes once what it holds is settled and acked) and the background tasks. */
  intake: (() => Promise<void>)[]
  /** The relay and the inbox prune. */
  housekeeping: () => Promise<void>
  http: { stop(): void }
}

/**
 * Stops a worker losing nothing, in this order: the outbox stops waiting on
 * the broker (with the broker away, shutdown still ends); no more work is
 * taken, and what is in hand finishes and is acked; the relay and prune
 * stop; what was committed gets one more try (should the broker take nothing
 * now, it is the next relay's); then the probes, the database and the broker
 * connection close.
 */
export async function shutdown(p: RunningParts): Promise<void> {
  p.log.info('worker stopping')
  p.pipeline.stopWaiting()
  await Promise.all(p.intake.map((stop) => stop()))
  await p.pipeline.idle()
  await p.housekeeping()
  await p.pipeline.close()
  p.http.stop()
  await p.resources.close()
  p.log.info('worker stopped')
}
