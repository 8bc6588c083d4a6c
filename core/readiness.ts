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
 * The answer of a `/ready` anyone on the internet can reach (an API's, through
 * the gateway; the gateway's): 200 or 503, saying what is missing but not the
 * addresses and errors behind it, which `log` gets instead.
 */
export async function publicReadiness(
  service: string,
  db: Pick<Database, 'execute'>,
  brokerReady: () => boolean,
  log: { warn(msg: string, fields?: Record<string, unknown>): void },
): Promise<{ status: 200 | 503; body: { status: 'ready' | 'unavailable'; service: string; problems: string[] } }> {
  const problems = await readinessProblems(db, brokerReady)
  if (problems.length === 0) return { status: 200, body: { status: 'ready', service, problems } }
  log.warn('not ready', { problems })
  return { status: 503, body: { status: 'unavailable', service, problems: problems.map((p) => (p.startsWith('database: ') ? 'database unreachable' : p)) } }
}
