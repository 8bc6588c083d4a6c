/**
 * Prints the broker topology as the code declares it (docs/events.md, Queues and bindings).
 *
 *   bun run topology             the exchanges, then one row per queue
 *   bun run topology --json      the `topology()` object
 *   bun run topology --declare   declares it on the broker (idempotent)
 *
 * Names follow MEDTRACK_NAMESPACE, so a test namespace prints and declares its own.
 */
import { parseArgs } from 'node:util'
import { Connection } from 'rabbitmq-client'
import { declareTopology, describe, parseConfig, tierName, topology, type QueueSpec, type Topology } from '../core/index.ts'
import { commandBindings } from '../schemas/commands/index.ts'
import { BrokerConfig } from './broker-config.ts'
import { askedForHelp } from './cli.ts'

/** Arguments shown in their own columns; any other is listed under "other arguments". */
const SHOWN = new Set(['x-queue-type', 'x-message-ttl', 'x-dead-letter-exchange', 'x-dead-letter-strategy'])

/** One row of the queue table: every cell already a string. */
export function queueRow(q: QueueSpec): string[] {
  const a = q.arguments
  const ttl = typeof a['x-message-ttl'] === 'number' ? tierName(a['x-message-ttl']) : '-'
  const strategy = a['x-dead-letter-strategy'] ? ` (${a['x-dead-letter-strategy']})` : ''
  const deadLetters = a['x-dead-letter-exchange'] ? `${a['x-dead-letter-exchange']}${strategy}` : '-'
  const other = Object.entries(a)
    .filter(([k]) => !SHOWN.has(k))
    .map(([k, v]) => `${k}=${String(v)}`)
  return [q.queue, String(a['x-queue-type'] ?? 'classic'), ttl, deadLetters, other.join(' ') || '-', bindingsCell(q) || '-']
}

/** Bindings grouped by exchange: `medtrack.events: student.*, stage.*; comm.retry: x-medtrack-original-queue=comm.events`. */
function bindingsCell(q: QueueSpec): string {
  const byExchange = new Map<string, string[]>()
  for (const b of q.bindings) {
    const headers = Object.entries(b.arguments ?? {})
      .filter(([k]) => k !== 'x-match')
      .map(([k, v]) => `${k}=${String(v)}`)
    const keys = byExchange.get(b.exchange) ?? []
    keys.push(headers.length > 0 ? headers.join(' ') : b.routingKey)
    byExchange.set(b.exchange, keys)
  }
  return [...byExchange].map(([exchange, keys]) => `${exchange}: ${keys.join(', ')}`).join('; ')
}

/** The topology as aligned text: exchanges first, then one row per queue. */
export function formatTopology(t: Topology): string {
  const exchanges = table(
    ['EXCHANGE', 'TYPE'],
    t.exchanges.map((e) => [e.exchange, e.type]),
  )
  const queues = table(['QUEUE', 'TYPE', 'TTL', 'DEAD-LETTERS TO', 'OTHER ARGUMENTS', 'BINDINGS'], t.queues.map(queueRow))
  return `${exchanges}\n\n${queues}\n`
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')
  return [line(header), ...rows.map(line)].join('\n')
}

const USAGE = 'usage: bun run topology [--json] [--declare]   (--declare creates the exchanges, queues and bindings on the broker)'

export async function main(argv: string[], env: typeof process.env): Promise<number> {
  if (askedForHelp(argv, USAGE)) return 0
  let values: { json?: boolean; declare?: boolean }
  try {
    values = parseArgs({ args: argv, options: { json: { type: 'boolean' }, declare: { type: 'boolean' } } }).values
  } catch (err) {
    console.error(`${describe(err)}\n${USAGE}`)
    return 2
  }
  const config = parseConfig(BrokerConfig, env)
  const namespace = config.MEDTRACK_NAMESPACE
  if (!values.declare) {
    const t = topology({ namespace, commands: commandBindings() })
    process.stdout.write(values.json ? `${JSON.stringify(t, null, 2)}\n` : formatTopology(t))
    return 0
  }
  const connection = new Connection({ url: config.RABBITMQ_URL, connectionName: 'medtrack-topology-cli', acquireTimeout: 5_000 })
  connection.on('error', (err) => console.error(`broker: ${describe(err)}`))
  try {
    const t = await declareTopology(connection, { namespace, commands: commandBindings() })
    if (values.json) process.stdout.write(`${JSON.stringify(t, null, 2)}\n`)
    console.error(`declared ${t.exchanges.length} exchanges and ${t.queues.length} queues${namespace ? ` in namespace ${namespace}` : ''}`)
    return 0
  } finally {
    await connection.close()
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2), process.env).catch((err: unknown) => {
    console.error(describe(err))
    return 1
  })
  process.exit(code)
}
