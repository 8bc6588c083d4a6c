import { BrokerConnection, declareTopology, describe, Names, olderQueueWarning, openDatabase, type Database, type Logger, type Topology, type TopologyOptions } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { retryTiers, type WorkerConfig } from './config.ts'

/** What every piece of a worker works over: its database, its broker connection and its declared queues. */
export interface WorkerResources {
  service: string
  db: Database
  connection: BrokerConnection
  names: Names
  /** The topology options it was declared with (namespace, retry tiers, command bindings), for a consumer declaring it again. */
  topology: Omit<TopologyOptions, 'services'> & { namespace: string }
  /** The retry tiers of the settings; undefined for the defaults. */
  tiers: number[] | undefined
  /** The arguments `queue` was declared with (an older queue keeps its own), for its consumer to declare it again after a reconnect. */
  queueArguments(queue: string): Record<string, unknown> | undefined
  /** Closes the database pool, then the broker connection: the last step of a shutdown. */
  close(): Promise<void>
}

/**
 * Opens a worker's database pool (a connection per batch running at once,
 * and one for the relay) and broker connection, and declares the service's
 * topology: exchanges, its events and commands queues with their bindings,
 * retry tiers and dead-letter queue. Waits for the broker.
 */
export async function openResources(service: string, config: WorkerConfig, log: Logger): Promise<WorkerResources> {
  const namespace = config.MEDTRACK_NAMESPACE
  const tiers = retryTiers(config)
  const db = openDatabase(config.DATABASE_URL, { max: config.BATCH_CONCURRENCY + 1 })
  const connection = new BrokerConnection({ url: config.RABBITMQ_URL, connectionName: `${service}-worker`, retryLow: 200, retryHigh: 5_000 })
  connection.on('error', (err) => log.warn('broker connection error', { error: describe(err) }))
  const topology = { namespace, retryTiers: tiers, commands: commandBindings() }
  let declared: Topology
  try {
    declared = await declareTopology(connection, { ...topology, services: [service], onOlderQueue: olderQueueWarning(log) })
  } catch (err) {
    await Promise.allSettled([db.$client.end({ timeout: 1 }), connection.close()])
    throw err
  }
  return {
    service,
    db,
    connection,
    names: new Names(namespace),
    topology,
    tiers,
    queueArguments: (queue) => declared.queues.find((q) => q.queue === queue)?.arguments,
    async close() {
      await db.$client.end({ timeout: 5 })
      await connection.close()
    },
  }
}
