import { afterAll, beforeAll, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { openDatabase, readinessProblems } from '../../core/index.ts'
import { commRuntime } from '../../schemas/db/comm.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import { closedPort } from '../../test/service.ts'
import { appliedMessages } from './applied.ts'
import { serveWorkerHttp } from './http.ts'
import { Metrics } from './metrics.ts'

let database: TestDatabase
let http: ReturnType<typeof serveWorkerHttp>
const base = () => `http://127.0.0.1:${http.port}`
const event = crypto.randomUUID()
const command = crypto.randomUUID()
/** A message id may hold commas: each is one id, however many commas it has. */
const withCommas = `import,${crypto.randomUUID()},2026`

beforeAll(async () => {
  database = await createTestDatabase('http')
  await database.db.execute(sql`insert into comm.inbox (consumer, message_id, received_at) values ('events', ${event}, '2026-12-01T10:00:00Z'), ('commands', ${command}, '2026-12-01T10:00:01Z'), ('events', ${withCommas}, '2026-12-01T10:00:02Z')`)
  http = serveWorkerHttp({
    port: 0,
    hostname: '127.0.0.1',
    service: 'comm',
    metrics: new Metrics(),
    ready: () => readinessProblems(database.db, () => true),
    applied: (ids) => appliedMessages(database.db, commRuntime, ids),
  })
})
afterAll(async () => {
  http.stop()
  await database.drop()
})

const idsQuery = (ids: string[]) => ids.map((id) => `ids=${encodeURIComponent(id)}`).join('&')

test('/applied answers which of the ids (one `ids` parameter each) the worker applied, by which consumer and when, from its inbox', async () => {
  const res = await fetch(`${base()}/applied?${idsQuery([event, crypto.randomUUID(), command])}`)
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({
    service: 'comm',
    applied: [
      { message_id: event, consumer: 'events', received_at: '2026-12-01T10:00:00.000Z' },
      { message_id: command, consumer: 'commands', received_at: '2026-12-01T10:00:01.000Z' },
    ],
  })
  expect(await (await fetch(`${base()}/applied?ids=${crypto.randomUUID()}`)).json()).toEqual({ service: 'comm', applied: [] })
})

test('/applied of an id holding commas: that one message, not the pieces between its commas', async () => {
  const [, middle] = withCommas.split(',')
  const res = await fetch(`${base()}/applied?${idsQuery([withCommas, event])}`)
  expect(res.status).toBe(200)
  expect((await res.json()).applied.map((a: { message_id: string }) => a.message_id)).toEqual([event, withCommas])
  // Its pieces are ids of their own, which this worker never applied.
  expect(await (await fetch(`${base()}/applied?${idsQuery(['import', middle!, '2026'])}`)).json()).toEqual({ service: 'comm', applied: [] })
})

test('/applied with no ids, more than 500, or one no message can have: 422 naming /query/ids', async () => {
  // Short ids: 500 UUIDs and their parameters are longer than the 16 KiB of request line and headers Bun takes (431).
  const many = `?${idsQuery(Array.from({ length: 501 }, (_, i) => `m${i}`))}`
  for (const query of ['', '?ids=', '?ids=&ids=', many, `?ids=${'x'.repeat(201)}`, `?ids=a&ids=${'x'.repeat(201)}`]) {
    const res = await fetch(`${base()}/applied${query}`)
    expect(res.status).toBe(422)
    const body = await res.json()
    expect(body).toMatchObject({ error: 'VALIDATION_FAILED', problems: [{ path: '/query/ids' }] })
  }
  const tooMany = await (await fetch(`${base()}/applied${many}`)).json()
  expect(tooMany.problems[0].message).toBe('must name at most 500 ids (501 given)')
  expect((await (await fetch(`${base()}/applied`)).json()).problems[0].message).toBe('is required: one `ids` parameter for each message id')
  expect((await fetch(`${base()}/applied?${idsQuery(Array.from({ length: 500 }, (_, i) => `m${i}`))}`)).status).toBe(200)
})

test('/health and /ready answer; any other path is a 404', async () => {
  expect(await (await fetch(`${base()}/health`)).json()).toEqual({ status: 'ok', service: 'comm-worker' })
  expect(await (await fetch(`${base()}/ready`)).json()).toEqual({ status: 'ready', problems: [] })
  expect((await fetch(`${base()}/inbox`)).status).toBe(404)
})

test('/applied while the database cannot be reached: 503 with Retry-After, not a 500', async () => {
  const away = openDatabase(`postgres://postgres@127.0.0.1:${await closedPort()}/medtrack`, { max: 1 })
  const down = serveWorkerHttp({ port: 0, hostname: '127.0.0.1', service: 'comm', metrics: new Metrics(), ready: async () => [], applied: (ids) => appliedMessages(away, commRuntime, ids) })
  try {
    const res = await fetch(`http://127.0.0.1:${down.port}/applied?ids=${event}`)
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('5')
    expect((await res.json()).error).toBe('UNAVAILABLE')
  } finally {
    down.stop()
    await away.$client.end({ timeout: 1 })
  }
})
