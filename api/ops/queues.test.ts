import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Names, SERVICES } from '../../core/index.ts'
import { waitFor } from '../../test/broker.ts'
import { createLedger, ledgerWorker } from '../../test/fixtures/ledger-worker.ts'
import { closedPort, jsonClient, startService, tokenFor, type Service } from '../../test/service.ts'
import { opsApi } from './app.ts'

const TIERS = '200,400'

let s: Service
let admin: ReturnType<typeof jsonClient>
let names: Names

beforeAll(async () => {
  const away = `http://127.0.0.1:${await closedPort()}`
  const workerPort = await closedPort()
  const urls = Object.fromEntries(SERVICES.map((x) => [`${x.toUpperCase()}_WORKER_URL`, x === 'eval' ? `http://127.0.0.1:${workerPort}` : away]))
  // The eval worker (a ledger of completed stages) on a port the ops API is told of; started later.
  s = await startService({ label: 'ops_queues', api: opsApi, worker: ledgerWorker, deferWorker: true, env: { PORT: String(workerPort), RETRY_TIERS: TIERS }, apiEnv: { ...urls, PORT: '0', OPS_SAMPLE_MS: '150' } })
  await createLedger(s.database.url)
  admin = jsonClient(s.url('/ops/api'), tokenFor('admin'))
  names = new Names(s.namespace)
}, 30_000)

afterAll(async () => {
  await s.close()
}, 30_000)

type QueueView = { name: string; kind: string; tier?: string; depth: number | null; consumers: number | null; rate_in: number | null; rate_out: number | null; history: { at: string; depth: number | null; rate_in: number | null; rate_out: number | null }[] }

async function queues(): Promise<Map<string, QueueView>> {
  const res = await admin.get('/queues')
  expect(res.status).toBe(200)
  return new Map((res.body.services as { service: string; queues: QueueView[] }[]).flatMap((g) => g.queues.map((q) => [q.name, q] as const)))
}

const completed = () => ({ stage_id: crypto.randomUUID(), completion_date: '2026-12-01' })

describe('GET /ops/api/queues', () => {
  test("each service's queues in order, a queue no one declared yet without a depth; what waits on a queue is its depth", async () => {
    const res = await admin.get('/queues')
    expect(res.body.sampled_every_ms).toBe(150)
    expect(res.body.services.map((g: { service: string }) => g.service)).toEqual([...SERVICES])
    const evalQueues = res.body.services.find((g: { service: string }) => g.service === 'eval').queues as QueueView[]
    expect(evalQueues.map((q) => [q.name, q.kind, q.tier])).toEqual([
      [names.eventQueue('eval'), 'events', undefined],
      [names.commandQueue('eval'), 'commands', undefined],
      [names.retryQueue('eval', 200), 'retry', '200ms'],
      [names.retryQueue('eval', 400), 'retry', '400ms'],
      [names.deadQueue('eval'), 'dead', undefined],
    ])
    // The eval worker has not run: its queues are not there.
    expect(evalQueues.every((q) => q.depth === null && q.consumers === null)).toBe(true)

    // ops.events, declared by the ops API, takes every event; with no ops worker they wait there.
    const publisher = s.publisher('core')
    for (let i = 0; i < 3; i++) await publisher.publish('stage.completed', completed())
    await waitFor(async () => (await queues()).get(names.eventQueue('ops'))!.depth === 3, 5_000, 'three events waiting on ops.events')
    expect((await queues()).get(names.eventQueue('ops'))).toMatchObject({ depth: 3, consumers: 0 })
  })

  test('a worker consuming: its queues have a consumer, the rates out of and into its events queue add up to what its counters say it took; a poison message raises the rate into the dead letters', async () => {
    await s.startWorker()
    await waitFor(async () => (await queues()).get(names.eventQueue('eval'))!.consumers === 1, 5_000, 'the eval worker consuming')
    // A sample of its counters first, so that every message it takes falls between two samples.
    const since = Date.now()
    await waitFor(async () => Date.parse((await queues()).get(names.eventQueue('eval'))!.history.at(-1)!.at) > since + 300, 5_000, 'a sample of the running worker')
    // Each service says how many of its worker's addresses answered: eval's one, none of the others (nothing listens there).
    const reached = Object.fromEntries(((await admin.get('/queues')).body.services as { service: string; workers: unknown }[]).map((g) => [g.service, g.workers]))
    expect(reached).toEqual(Object.fromEntries(SERVICES.map((x) => [x, { addresses: 1, answered: x === 'eval' ? 1 : 0 }])))
    const publisher = s.publisher('core')
    const started = Date.now()
    while (Date.now() - started < 1_500) {
      await publisher.publish('stage.completed', completed())
      await Bun.sleep(20)
    }
    await waitFor(async () => (await queues()).get(names.eventQueue('eval'))!.history.some((p) => (p.rate_out ?? 0) > 5), 5_000, 'a rate out of eval.events')
    await waitFor(async () => (await queues()).get(names.eventQueue('eval'))!.depth === 0, 5_000, 'eval.events drained')
    await Bun.sleep(400)
    const events = (await queues()).get(names.eventQueue('eval'))!
    expect(events.consumers).toBe(1)
    // Over the history, the rates add up to what the worker took: out, its counter; in, the same as the queue is empty again.
    const total = (rate: 'rate_in' | 'rate_out') => events.history.reduce((sum, p, i) => (i === 0 || p[rate] === null ? sum : sum + p[rate]! * ((Date.parse(p.at) - Date.parse(events.history[i - 1]!.at)) / 1000)), 0)
    const taken = await s.handled('stage.completed')
    expect(taken).toBeGreaterThan(20)
    expect(Math.abs(total('rate_out') - taken)).toBeLessThan(2)
    expect(Math.abs(total('rate_in') - taken)).toBeLessThan(2)
    // The history is oldest first, one point a sample.
    expect(events.history.map((p) => p.at)).toEqual(events.history.map((p) => p.at).sort())

    const raw = s.connection.createPublisher()
    await raw.send({ exchange: names.events, routingKey: 'stage.completed', durable: true }, 'not json at all')
    await raw.close()
    await waitFor(async () => (await queues()).get(names.deadQueue('eval'))!.depth === 1, 5_000, 'the poison in eval.dead')
    await waitFor(async () => (await queues()).get(names.deadQueue('eval'))!.history.some((p) => (p.rate_in ?? 0) > 0), 5_000, 'a rate into eval.dead')
    const dead = (await queues()).get(names.deadQueue('eval'))!
    expect(dead).toMatchObject({ depth: 1, consumers: 0 })
    // A retry tier's rates are not counted.
    expect((await queues()).get(names.retryQueue('eval', 200))!.history.every((p) => p.rate_in === null && p.rate_out === null)).toBe(true)
  })
})

describe('GET /ops/api/queues with the broker away', () => {
  test('503 with a JSON error, not a crash; the rest of the API still answers', async () => {
    const away = await startService({ label: 'ops_queues_away', api: opsApi, apiEnv: { RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${await closedPort()}` } })
    try {
      const client = jsonClient(away.url('/ops/api'), tokenFor('admin'))
      const res = await client.get('/queues')
      expect(res.status).toBe(503)
      expect(res.body).toEqual({ error: 'BROKER_UNAVAILABLE', message: 'the broker cannot be reached right now; try again' })
      expect((await client.get('/dead-letters?service=comm')).status).toBe(503)
      expect((await client.get('/events')).status).toBe(200)
    } finally {
      await away.close()
    }
  }, 15_000)
})
