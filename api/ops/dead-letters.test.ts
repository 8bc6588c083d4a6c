import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Names, SERVICES } from '../../core/index.ts'
import { waitFor } from '../../test/broker.ts'
import { createLedger, ledgerWorker } from '../../test/fixtures/ledger-worker.ts'
import { closedPort, jsonClient, startService, tokenFor, type Service } from '../../test/service.ts'
import { opsApi } from './app.ts'

let s: Service
let admin: ReturnType<typeof jsonClient>
let names: Names
const poison = crypto.randomUUID()

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
  // An event eval's worker refuses for good: its payload fails its schema.
  const raw = s.connection.createPublisher()
  await raw.send({ exchange: names.events, routingKey: 'stage.completed', messageId: poison, type: 'stage.completed', durable: true }, { event_id: poison, event_type: 'stage.completed', version: '1.0', service: 'core-service', timestamp: new Date().toISOString(), correlation_id: null, causation_id: null, payload: { stage_id: 'not-a-uuid' } })
  await raw.close()
  await waitFor(async () => (await s.deadLetters()).length === 1, 10_000, 'the poison dead-lettered')
}, 30_000)

afterAll(async () => {
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

    // Both commands wait on ops.commands for the ops worker, as it will read them.
    const ch = await s.connection.acquire()
    const sent = []
    for (let m = await ch.basicGet({ queue: names.commandQueue('ops') }); m; m = await ch.basicGet({ queue: names.commandQueue('ops') })) sent.push(m.body)
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
