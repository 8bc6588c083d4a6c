import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Names, parseConfig, SERVICES, silentLogger } from '../../core/index.ts'
import { RABBITMQ_URL, waitFor } from '../../test/broker.ts'
import { createLedger, ledgerWorker } from '../../test/fixtures/ledger-worker.ts'
import { closedPort, jsonClient, startService, tokenFor, type Service } from '../../test/service.ts'
import { WorkerConfig } from '../../workers/kit/config.ts'
import { startWorker } from '../../workers/kit/run.ts'
import { OpsSettings } from '../../workers/ops/settings.ts'
import { opsWorker } from '../../workers/ops/worker.ts'
import { opsApi } from './app.ts'

let s: Service
let admin: ReturnType<typeof jsonClient>
let names: Names
const poison = crypto.randomUUID()
let ops: Awaited<ReturnType<typeof startWorker>> | undefined

/** Publishes an event eval's worker refuses for good (its payload fails its schema) and resolves once it is dead-lettered. */
async function deadLetter(id: string) {
  const count = (await s.deadLetters()).length
  const raw = s.connection.createPublisher()
  await raw.send({ exchange: names.events, routingKey: 'stage.completed', messageId: id, type: 'stage.completed', durable: true }, { event_id: id, event_type: 'stage.completed', version: '1.0', service: 'core-service', timestamp: new Date().toISOString(), correlation_id: null, causation_id: null, payload: { stage_id: 'not-a-uuid' } })
  await raw.close()
  await waitFor(async () => (await s.deadLetters()).length === count + 1, 10_000, 'the poison dead-lettered')
}

beforeAll(async () => {
  const away = `http://127.0.0.1:${await closedPort()}`
  s = await startService({
    label: 'ops_dead',
    api: opsApi,
    worker: ledgerWorker,
    deferWorker: true,
    env: { RETRY_TIERS: '100' },
    apiEnv: { ...Object.fromEntries(SERVICES.map((x) => [`${x.toUpperCase()}_WORKER_URL`, away])), COMMAND_WAIT_MS: '300' },
  })
  await createLedger(s.database.url)
  await s.startWorker()
  admin = jsonClient(s.url('/ops/api'), tokenFor('admin'))
  names = new Names(s.namespace)
  await deadLetter(poison)
}, 30_000)

afterAll(async () => {
  await ops?.close()
  await s.close()
}, 30_000)

describe('GET /ops/api/dead-letters', () => {
  test("a service's dead letters with why each failed, its attempts, the queue it failed on, its body and headers; left where they are", async () => {
    const res = await admin.get('/dead-letters?service=eval')
    expect(res.status).toBe(200)
    expect(res.body.service).toBe('eval')
    expect(res.body.letters).toHaveLength(1)
    const [letter] = res.body.letters
    expect(letter).toMatchObject({ message_id: poison, type: 'stage.completed', error_class: 'permanent', original_queue: names.eventQueue('eval'), attempts: expect.any(Number) })
    expect(letter.error).toContain('stage_id')
    expect(Date.parse(letter.failed_at)).not.toBeNaN()
    expect(JSON.parse(letter.body)).toMatchObject({ event_id: poison, payload: { stage_id: 'not-a-uuid' } })
    expect(letter.headers).toMatchObject({ 'x-medtrack-error-class': 'permanent' })
    // Read, not taken: it is still there.
    expect((await admin.get('/dead-letters?service=eval')).body.letters.map((l: { message_id: string }) => l.message_id)).toEqual([poison])
  })

  test('a service with no dead letters has none; a service whose queues were never declared has none either', async () => {
    expect((await admin.get('/dead-letters?service=ops')).body).toEqual({ service: 'ops', letters: [] })
    expect((await admin.get('/dead-letters?service=comm')).body).toEqual({ service: 'comm', letters: [] })
  })

  test('while another walk holds the queue (a replay, a terminal), a reading waits about 5 s, then answers 409 WALK_UNDER_WAY with Retry-After', async () => {
    const lock = `${names.deadQueue('eval')}.walk`
    const ch = await s.connection.acquire()
    await ch.queueDeclare({ queue: lock, exclusive: true, arguments: { 'x-queue-type': 'classic' } })
    try {
      const started = performance.now()
      const res = await fetch(s.url('/ops/api/dead-letters?service=eval'), { headers: { authorization: `Bearer ${await tokenFor('admin')}` } })
      const waited = performance.now() - started
      expect(res.status).toBe(409)
      expect(await res.json()).toMatchObject({ error: 'WALK_UNDER_WAY', message: `another walk of ${names.deadQueue('eval')} has held it for more than 5 s: try again once it ends` })
      expect(res.headers.get('retry-after')).toBe('5')
      expect(waited).toBeGreaterThan(4_500)
      expect(waited).toBeLessThan(6_500)
    } finally {
      await ch.queueDelete({ queue: lock })
      await ch.close()
    }
    expect((await admin.get('/dead-letters?service=eval')).body.letters.map((l: { message_id: string }) => l.message_id)).toEqual([poison])
  }, 15_000)

  test('the service is required and one of the services: else a 422 naming /query/service', async () => {
    for (const query of ['', '?service=billing']) {
      const res = await admin.get(`/dead-letters${query}`)
      expect(res.status).toBe(422)
      expect(res.body.problems).toEqual([{ path: '/query/service', message: query ? expect.stringContaining('"comm"') : 'is required' }])
    }
  })
})

describe('POST /ops/api/dead-letters/replay and /purge', () => {
  test('sent as the ops command, to the ops worker: 202 with where to read its outcome while no worker answers', async () => {
    const replay = await fetch(s.url('/ops/api/dead-letters/replay'), {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenFor('admin')}`, 'content-type': 'application/json', 'x-request-id': 'replay-request-1' },
      body: JSON.stringify({ service: 'eval', ids: [poison] }),
    })
    expect(replay.status).toBe(202)
    const body = await replay.json()
    expect(body).toEqual({ operation_id: expect.any(String), status: 'pending' })
    expect(replay.headers.get('location')).toBe(`/ops/api/operations/${body.operation_id}`)
    const purge = await admin.post('/dead-letters/purge', { service: 'eval', all: true })
    expect(purge.status).toBe(202)

    // Both commands wait on ops.commands for the ops worker, as it will read them; taken off here, so that the worker is given one at a time.
    const ch = await s.connection.acquire()
    const sent = []
    for (let m = await ch.basicGet({ queue: names.commandQueue('ops') }); m; m = await ch.basicGet({ queue: names.commandQueue('ops') })) {
      sent.push(m.body)
      ch.basicAck({ deliveryTag: m.deliveryTag })
    }
    await ch.close()
    expect(sent).toEqual([
      expect.objectContaining({ command_id: body.operation_id, command_type: 'ops.replay_dead_letters', correlation_id: 'replay-request-1', actor: expect.objectContaining({ role: 'admin' }), payload: { service: 'eval', ids: [poison] } }),
      expect.objectContaining({ command_id: purge.body.operation_id, command_type: 'ops.purge_dead_letters', payload: { service: 'eval', all: true } }),
    ])
    // Nothing was done to the letters meanwhile.
    expect((await s.deadLetters()).map((l) => l.messageId)).toEqual([poison])
  })

  test('ids and all: one of them, not neither nor both (422 at /ids); the service one of the services (422 at /service)', async () => {
    for (const path of ['/dead-letters/replay', '/dead-letters/purge']) {
      const neither = await admin.post(path, { service: 'eval' })
      expect(neither.status).toBe(422)
      expect(neither.body.problems).toEqual([{ path: '/ids', message: 'is required unless all is true' }])
      const both = await admin.post(path, { service: 'eval', ids: [poison], all: true })
      expect(both.status).toBe(422)
      expect(both.body.problems).toEqual([{ path: '/ids', message: 'must not be given with all: true' }])
      expect((await admin.post(path, { service: 'eval', all: false })).body.problems[0].path).toBe('/ids')
      const empty = await admin.post(path, { service: 'eval', ids: [] })
      expect(empty.status).toBe(422)
      expect(empty.body.problems[0].path).toBe('/ids')
      const unknown = await admin.post(path, { service: 'billing', all: true })
      expect(unknown.status).toBe(422)
      expect(unknown.body.problems[0].path).toBe('/service')
    }
  })
})

describe('replay and purge applied by the ops worker', () => {
  test('a command that waited is applied once it runs, its outcome at its Location; then a replay or a purge answers 200 with how many letters it took', async () => {
    const pending = await admin.post('/dead-letters/replay', { service: 'eval', ids: [poison] })
    expect(pending.status).toBe(202)
    ops = await startWorker(opsWorker(parseConfig(OpsSettings, {})), parseConfig(WorkerConfig, { DATABASE_URL: s.database.url, RABBITMQ_URL, MEDTRACK_NAMESPACE: s.namespace, PORT: '0', RETRY_TIERS: '100' }), silentLogger)
    let outcome: { status: number; body: any } | undefined
    await waitFor(async () => (outcome = await admin.get(`/operations/${pending.body.operation_id}`)).status === 200, 10_000, 'the replay applied')
    expect(outcome!.body).toEqual({ operation_id: pending.body.operation_id, command_type: 'ops.replay_dead_letters', status: 'succeeded', http_status: 200, result: { service: 'eval', replayed: 1 } })

    // The poison fails again and is back among the dead letters; a purge of all then takes it, and the dead letters start clean.
    await waitFor(async () => (await admin.get('/dead-letters?service=eval')).body.letters.length === 1, 10_000, 'the poison dead-lettered again')
    expect(await admin.post('/dead-letters/purge', { service: 'eval', all: true })).toEqual({ status: 200, body: { service: 'eval', purged: 1 } })
    expect((await admin.get('/dead-letters?service=eval')).body.letters).toEqual([])

    // A poison still fails: replayed, it is dead-lettered again, once.
    const again = crypto.randomUUID()
    await deadLetter(again)
    const replayed = await admin.post('/dead-letters/replay', { service: 'eval', all: true })
    expect(replayed).toEqual({ status: 200, body: { service: 'eval', replayed: 1 } })
    await waitFor(async () => (await admin.get('/dead-letters?service=eval')).body.letters.length === 1, 10_000, 'the poison back among the dead letters')

    const other = crypto.randomUUID()
    await deadLetter(other)
    const purged = await admin.post('/dead-letters/purge', { service: 'eval', ids: [other, 'not-there'] })
    expect(purged).toEqual({ status: 200, body: { service: 'eval', purged: 1, missing: ['not-there'] } })
    expect((await admin.get('/dead-letters?service=eval')).body.letters.map((l: { message_id: string }) => l.message_id)).toEqual([again])
    expect(await admin.post('/dead-letters/purge', { service: 'eval', all: true })).toEqual({ status: 200, body: { service: 'eval', purged: 1 } })
    expect((await admin.get('/dead-letters?service=eval')).body.letters).toEqual([])
  }, 40_000)

  test('ids none of which is there: 404 with a problem at /ids naming them; a service never declared here has none to replay or purge: 200 with 0', async () => {
    for (const path of ['/dead-letters/replay', '/dead-letters/purge']) {
      expect(await admin.post(path, { service: 'eval', ids: ['gone-1', 'gone-2'] })).toEqual({
        status: 404,
        body: { error: 'NOT_FOUND', message: 'no dead letter of eval has any of the ids named', problems: [{ path: '/ids', message: 'no dead letter has the id gone-1, gone-2' }] },
      })
    }
    expect(await admin.post('/dead-letters/replay', { service: 'comm', all: true })).toEqual({ status: 200, body: { service: 'comm', replayed: 0 } })
    expect(await admin.post('/dead-letters/purge', { service: 'comm', all: true })).toEqual({ status: 200, body: { service: 'comm', purged: 0 } })
  })
})
