import { Connection } from 'rabbitmq-client'
import { deleteTopology, type TopologyOptions } from '../core/index.ts'

export const RABBITMQ_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672'

/** A namespace no other test run uses, so broker names never collide. */
export function testNamespace(label = 't'): string {
  return `test-${label}-${crypto.randomUUID().slice(0, 8)}`
}

export function connect(name = 'medtrack-test'): Connection {
  const c = new Connection({ url: RABBITMQ_URL, connectionName: name, retryLow: 100, retryHigh: 1_000 })
  c.on('error', () => {})
  return c
}

/** Deletes every queue and exchange of the namespace's topology. */
export async function cleanup(connection: Connection, options: TopologyOptions): Promise<void> {
  await deleteTopology(connection, options)
}

export async function messageCount(connection: Connection, queue: string): Promise<number> {
  return (await connection.queueDeclare({ queue, passive: true })).messageCount
}

/** Polls `check` until it returns true; throws after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Closes the named client connection from the broker's side, as a broker restart or a network cut would. */
export async function dropConnection(connectionName: string): Promise<void> {
  const run = async (cmd: string[]) => {
    const p = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe' })
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    if (code !== 0) throw new Error(`${cmd.join(' ')} failed: ${err}`)
    return out
  }
  const listing = await run(['rabbitmqctl', '-q', 'list_connections', 'pid', 'client_properties', '--no-table-headers'])
  const pids = listing
    .split('\n')
    .filter((l) => l.includes(`"${connectionName}"`))
    .map((l) => l.split('\t')[0]!)
  if (pids.length === 0) throw new Error(`no broker connection named ${connectionName}`)
  for (const pid of pids) await run(['rabbitmqctl', '-q', 'close_connection', pid, 'closed by test'])
}
