/**
 * Publishes one event and consumes it back through core/, under whichever
 * runtime runs this file: `deno run -A scripts/deno-roundtrip.ts` proves core
 * runs on Deno unchanged. Prints one JSON line and exits 0 on success.
 */
import { Connection } from 'rabbitmq-client'
import { Type } from '@sinclair/typebox'
import { createEventConsumer, createPublisher, deleteTopology, parseConfig } from '../core/index.ts'
import { catalogue } from '../schemas/events/index.ts'

const env = (globalThis as { Deno?: { env: { toObject(): Record<string, string> } } }).Deno?.env.toObject() ?? process.env
const config = parseConfig(
  Type.Object({
    RABBITMQ_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
    MEDTRACK_NAMESPACE: Type.String({ default: `deno-${crypto.randomUUID().slice(0, 8)}` }),
  }),
  env,
)
const runtime = 'Deno' in globalThis ? 'deno' : 'bun'
const namespace = config.MEDTRACK_NAMESPACE
const connection = new Connection(config.RABBITMQ_URL)
const topology = { namespace, services: ['eval'] }

let resolveReceived: (id: string) => void = () => {}
const received = new Promise<string>((r) => (resolveReceived = r))
const consumer = await createEventConsumer({
  connection,
  catalogue,
  service: 'eval',
  namespace,
  handlers: { 'stage.completed': (e, ctx) => resolveReceived(`${e.event_id}|${e.payload.stage_id}|${ctx.attempt}`) },
})
await consumer.ready
const publisher = createPublisher({ connection, catalogue, service: 'core', namespace })
const stageId = crypto.randomUUID()
const sent = await publisher.publish('stage.completed', { stage_id: stageId, completion_date: '2026-11-26' })
let timer: ReturnType<typeof setTimeout> | undefined
const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no event within 10 s')), 10_000)))
const got = await Promise.race([received, timeout]).finally(() => clearTimeout(timer))

await consumer.close()
await publisher.close()
await deleteTopology(connection, topology)
await connection.close()

const ok = got === `${sent.event_id}|${stageId}|1`
console.log(JSON.stringify({ runtime, ok, event_id: sent.event_id, received: got }))
if (!ok) throw new Error('round trip returned another event')
