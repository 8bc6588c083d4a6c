import type { Logger, QueueConsumerOptions } from '../../core/index.ts'
import type { WorkerConfig } from './config.ts'
import type { OnOutcome } from './outcomes.ts'
import type { ApplyPipeline } from './pipeline.ts'
import type { WorkerResources } from './resources.ts'

/** What a consumer piece of a worker works with: the resources, the pipeline its messages are applied through, its settings. */
export interface ConsumerPiece {
  resources: WorkerResources
  pipeline: ApplyPipeline
  config: Pick<WorkerConfig, 'PREFETCH'>
  log: Logger
  onOutcome?: OnOutcome
}

/** The options of a consumer of one of the service's queues: declared as it was, retried through its tiers, PREFETCH in flight. */
export function queueOptions(o: ConsumerPiece, queue: string): Omit<QueueConsumerOptions, 'process'> {
  const { resources } = o
  return {
    connection: resources.connection,
    service: resources.service,
    queue,
    queueArguments: resources.queueArguments(queue),
    namespace: resources.topology.namespace,
    retryTiers: resources.tiers,
    prefetch: o.config.PREFETCH,
    concurrency: o.config.PREFETCH,
    logger: o.log,
    onOutcome: o.onOutcome,
  }
}
