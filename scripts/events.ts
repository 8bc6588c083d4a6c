/**
 * Publish and watch MedTrack events from a terminal.
 *
 *   bun run events publish <type> '<json payload>' [--correlation-id X]
 *   bun run events tail ['<pattern>'] [--count N]
 *
 * `publish` validates against the catalogue before anything is sent and prints
 * the envelope; `tail` prints every event the pattern matches as one JSON line.
 */
import { Buffer } from 'node:buffer'
import { writeSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Connection, type AsyncMessage, type Consumer } from 'rabbitmq-client'
import {
  compileCatalogue,
  createPublisher,
  describe,
  envelopeProblems,
  jsonText,
  Names,
  parseConfig,
  parseEnvelope,
  ValidationError,
  type Catalogue,
  type Envelope,
  type PayloadValidator,
  type Problem,
} from '../core/index.ts'
import { parsePatterns } from '../api/gateway/keys.ts'
import { catalogue } from '../schemas/events/index.ts'
import { BrokerConfig } from './broker-config.ts'
import { askedForHelp } from './cli.ts'

const USAGE = `usage:
  bun run events publish <type> '<json payload>' [--correlation-id X]
  bun run events tail ['<pattern>'] [--count N]`

/** A payload ready to publish, or every problem that stops it; nothing is sent when there are problems. */
export function preparePublish(
  validator: PayloadValidator,
  type: string,
  payloadText: string,
): { payload: Record<string, unknown>; problems: [] } | { payload?: undefined; problems: Problem[] } {
  let payload: unknown
  const problems: Problem[] = []
  try {
    payload = JSON.parse(payloadText)
  } catch (err) {
    problems.push({ path: '/payload', message: `not JSON: ${describe(err)}` })
  }
  if (!validator.has(type) || problems.length === 0) problems.unshift(...validator.check(type, payload))
  if (problems.length > 0) return { problems }
  return { payload: payload as Record<string, unknown>, problems: [] }
}

export interface PublishEventOptions {
  connection: Connection
  namespace: string
  type: string
  payload: Record<string, unknown>
  /** @default the new event's id */
  correlationId?: string
}

/** Publishes as the `cli` service; resolves with the envelope once the broker confirmed. */
export async function publishEvent(o: PublishEventOptions): Promise<Envelope> {
  const publisher = createPublisher<Catalogue>({ connection: o.connection, catalogue, service: 'cli', namespace: o.namespace })
  try {
    return await publisher.publish(o.type, o.payload, { correlationId: o.correlationId })
  } finally {
    await publisher.close()
  }
}

/** What `tail` needs of a delivery: its routing key, decoded body and properties. */
export type TailMessage = Pick<AsyncMessage, 'routingKey' | 'body' | 'messageId' | 'correlationId' | 'type'>

/**
 * The line `tail` prints for one message: the envelope of the wire format (docs/events.md) (ids
 * filled in as consumers fill them) and its routing key, plus `schema_errors`
 * when it fails the catalogue, or the raw `body` when it is not a JSON object.
 */
export function tailLine(validator: PayloadValidator, message: TailMessage): Record<string, unknown> {
  const routing_key = message.routingKey
  let parsed: ReturnType<typeof parseEnvelope>
  try {
    parsed = parseEnvelope(message.body, message)
  } catch (err) {
    const problems = err instanceof ValidationError ? err.problems : [{ path: '/', message: describe(err) }]
    return { routing_key, schema_errors: problems, body: bodyText(message.body) }
  }
  const { event_id, event_type, version, service, timestamp, correlation_id, causation_id, payload, ...extra } = parsed.envelope
  const problems = envelopeProblems(validator, parsed.envelope, parsed.problems)
  return {
    routing_key,
    event_id,
    event_type,
    version,
    service,
    timestamp,
    correlation_id,
    causation_id,
    payload,
    ...extra,
    ...(problems.length > 0 ? { schema_errors: problems } : {}),
  }
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8')
  return jsonText(body)
}

export interface TailOptions {
  connection: Connection
  namespace: string
  /** Topic pattern the queue is bound with. @default '#' */
  pattern?: string
  validator: PayloadValidator
  /** Receives each line as a JSON object. */
  onLine(line: Record<string, unknown>): void
  /** Called each time the queue is bound and consumed: at start and after every reconnect (a new queue). */
  onReady?(queue: string): void
  onError?(err: unknown): void
}

/**
 * Consumes a private queue (exclusive, auto-delete, server-named, classic)
 * bound to the events exchange with `pattern`. The exchange is declared as
 * the topology declares it, so a tail can start before any worker.
 */
export function startTail(o: TailOptions): { close(): Promise<void> } {
  const exchange = new Names(o.namespace).events
  const consumer: Consumer = o.connection.createConsumer(
    {
      queue: '',
      queueOptions: { exclusive: true, autoDelete: true, durable: false, arguments: { 'x-queue-type': 'classic' } },
      exchanges: [{ exchange, type: 'topic', durable: true }],
      queueBindings: [{ exchange, routingKey: o.pattern ?? '#' }],
      noAck: true,
      concurrency: 1,
    },
    (message) => o.onLine(tailLine(o.validator, message)),
  )
  consumer.on('ready', () => o.onReady?.(consumer.queue))
  consumer.on('error', (err) => o.onError?.(err))
  return { close: () => consumer.close() }
}

/** Writes `text` to stdout synchronously, so a line is visible the moment it is printed. */
function printLine(text: string): void {
  const bytes = Buffer.from(`${text}\n`, 'utf8')
  for (let off = 0; off < bytes.length; ) off += writeSync(1, bytes, off)
}

function connect(url: string): Connection {
  const connection = new Connection({ url, connectionName: 'medtrack-events-cli', retryLow: 200, retryHigh: 2_000, acquireTimeout: 5_000 })
  connection.on('error', (err) => console.error(`broker: ${describe(err)}`))
  return connection
}

async function publishCommand(args: string[], env: typeof process.env): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { 'correlation-id': { type: 'string' } }, allowPositionals: true })
  const [type, payloadText] = positionals
  if (!type || payloadText === undefined || positionals.length > 2) return usage()
  const prepared = preparePublish(compileCatalogue(catalogue), type, payloadText)
  if (prepared.payload === undefined) return reject(prepared.problems)
  const config = parseConfig(BrokerConfig, env)
  const connection = connect(config.RABBITMQ_URL)
  try {
    const envelope = await publishEvent({
      connection,
      namespace: config.MEDTRACK_NAMESPACE,
      type,
      payload: prepared.payload,
      correlationId: values['correlation-id'],
    })
    printLine(JSON.stringify(envelope))
    return 0
  } catch (err) {
    if (err instanceof ValidationError) return reject(err.problems)
    console.error(`publish failed: ${describe(err)}`)
    return 1
  } finally {
    await connection.close()
  }
}

async function tailCommand(args: string[], env: typeof process.env): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { count: { type: 'string' } }, allowPositionals: true })
  const count = values.count === undefined ? Infinity : Number(values.count)
  if (values.count !== undefined && !(Number.isInteger(count) && count > 0)) {
    console.error(`--count must be a whole number of at least 1, not ${JSON.stringify(values.count)}`)
    return usage()
  }
  if (positionals.length > 1) return usage()
  const pattern = positionals[0] ?? '#'
  // A pattern no event type can match (`Student.*`, `a..b`, '') would tail nothing, for ever, without a word.
  const { patterns, problems } = parsePatterns(pattern)
  if (problems.length > 0 || patterns.length !== 1) {
    for (const p of problems.length > 0 ? problems : ['one pattern at a time']) console.error(p)
    return usage()
  }
  const config = parseConfig(BrokerConfig, env)
  const exchange = new Names(config.MEDTRACK_NAMESPACE).events
  const connection = connect(config.RABBITMQ_URL)
  let printed = 0
  let stop!: () => void
  const stopped = new Promise<void>((resolve) => (stop = resolve))
  const tail = startTail({
    connection,
    namespace: config.MEDTRACK_NAMESPACE,
    pattern,
    validator: compileCatalogue(catalogue),
    onLine(line) {
      if (printed >= count) return
      printLine(JSON.stringify(line))
      if (++printed >= count) stop()
    },
    onReady: (queue) => console.error(`tailing ${pattern} on ${exchange} (queue ${queue})`),
    onError: (err) => console.error(`tail: ${describe(err)}`),
  })
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  await stopped
  await tail.close()
  await connection.close()
  return 0
}

function reject(problems: Problem[]): number {
  for (const p of problems) console.error(`${p.path}: ${p.message}`)
  return 1
}

function usage(): number {
  console.error(USAGE)
  return 2
}

export async function main(argv: string[], env: typeof process.env): Promise<number> {
  if (askedForHelp(argv, USAGE)) return 0
  const [command, ...args] = argv
  if (command === 'publish') return publishCommand(args, env)
  if (command === 'tail') return tailCommand(args, env)
  return usage()
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2), process.env).catch((err: unknown) => {
    console.error(describe(err))
    return 1
  })
  process.exit(code)
}
