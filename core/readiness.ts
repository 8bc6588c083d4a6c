import { describe } from './errors.ts'
import type { Database } from './db.ts'
import { withTimeout } from './timeout.ts'

/**
 * What keeps a process from doing its work, for its `/ready`: the broker not
 * connected, the database not answering within 2 s. Empty when it is ready.
 */
export async function readinessProblems(db: Pick<Database, 'execute'>, brokerReady: () => boolean): Promise<string[]> {
  const problems: string[] = []
  if (!brokerReady()) problems.push('broker not connected')
  // `describe` names a failed query's error as the database's already.
  await withTimeout(db.execute('select 1'), 2_000).catch((err) => problems.push(`database: ${describe(err).replace(/^database: /, '')}`))
  return problems
}

/**
 * The same problems as said to anyone on the internet (an API's `/ready` goes
 * through the gateway): what is missing, not the addresses and errors behind
 * it, which `log` gets instead.
 */
export function publicProblems(problems: string[], log: { warn(msg: string, fields?: Record<string, unknown>): void }): string[] {
  if (problems.length > 0) log.warn('not ready', { problems })
  return problems.map((p) => (p.startsWith('database: ') ? 'database unreachable' : p))
}
