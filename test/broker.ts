import { Connection, type AsyncMessage } from 'rabbitmq-client'
import { Names, type Envelope } from '../core/index.ts'

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

export async function messageCount(connection: Connection, queue: string): Promise<number> {
  return (await connection.queueDeclare({ queue, passive: true })).messageCount
}

export interface EventTap {
  /** Every message delivered to the tap so far, oldest first. */
  messages: AsyncMessage[]
  /** The envelopes of those messages. */
  envelopes(): Envelope[]
  /** Stops listening; the tap's queue goes with it. */
  close(): Promise<void>
}

/**
 * A queue of its own bound to the namespace's events exchange (declared if need be)
 * with `pattern`, that keeps every message published from now on. Resolves once it consumes.
 */
export async function tapEvents(connection: Connection, namespace: string, pattern = '#'): Promise<EventTap> {
  const exchange = new Names(namespace).events
  await connection.exchangeDeclare({ exchange, type: 'topic', durable: true })
  const messages: AsyncMessage[] = []
  const consumer = connection.createConsumer(
    { queue: '', queueOptions: { exclusive: true, autoDelete: true }, queueBindings: [{ exchange, routingKey: pattern }] },
    (m) => void messages.push(m),
  )
  await new Promise((r) => consumer.once('ready', r))
  return {
    messages,
    // rabbitmq-client decodes application/json bodies; anything else arrives as bytes.
    envelopes: () => messages.map((m) => (Buffer.isBuffer(m.body) ? JSON.parse(m.body.toString('utf8')) : m.body) as Envelope),
    close: () => consumer.close(),
  }
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
