import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { createHash } from 'node:crypto'
import { Names, parseConfig, silentLogger } from '../core/index.ts'
import { GatewayConfig } from '../api/gateway/config.ts'
import { startGateway, type RunningGateway } from '../api/gateway/start.ts'
import { apiKeys } from '../schemas/db/gateway.ts'
import { connect, messageCount, RABBITMQ_URL, testNamespace, waitFor } from '../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../test/database.ts'
import { closedPort } from '../test/service.ts'

const namespace = testNamespace('apikey')
const queue = `${namespace}.apikey-test`
const broker = connect('apikey-test')
let database: TestDatabase
let gateway: RunningGateway

async function apikey(...args: string[]) {
  return apikeyAt(database.url, ...args)
}

async function apikeyAt(databaseUrl: string, ...args: string[]) {
  const p = Bun.spawn(['bun', 'scripts/apikey.ts', ...args], { cwd: `${import.meta.dir}/..`, env: { ...process.env, DATABASE_URL: databaseUrl }, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return { stdout, stderr, code }
}

const PAYLOADS: Record<string, () => Record<string, unknown>> = {
  'student.created': () => ({ student_id: crypto.randomUUID(), user_id: crypto.randomUUID(), email: 'ana@example.org' }),
  'grade.assigned': () => ({ student_id: crypto.randomUUID(), stage_id: crypto.randomUUID(), final_grade: 14 }),
}

/** Posts an event with a valid payload for its type, or the given one. */
function publish(key: string, eventType = 'student.created', payload = PAYLOADS[eventType]?.() ?? {}) {
  return fetch(`http://127.0.0.1:${gateway.port}/events/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ event_type: eventType, payload, service_name: 'hospital-sync' }),
  })
}

beforeAll(async () => {
  database = await createTestDatabase('apikey')
  const config = parseConfig(GatewayConfig, { PORT: '0', DATABASE_URL: database.url, RABBITMQ_URL, MEDTRACK_NAMESPACE: namespace, KEY_CACHE_MS: '100', LOG_LEVEL: 'error' })
  gateway = await startGateway(config, silentLogger)
  await broker.queueDeclare({ queue, exclusive: true })
  await broker.queueBind({ queue, exchange: new Names(namespace).events, routingKey: '#' })
})

afterAll(async () => {
  await gateway.stop()
  await broker.queueDelete({ queue })
  await broker.exchangeDelete({ exchange: new Names(namespace).events })
  await broker.close()
  await database.drop()
})

describe('bun run apikey', () => {
  let key = ''

  test('create prints a new key once with its id, and stores only its SHA-256', async () => {
    const r = await apikey('create', '--name', 'hospital-sync', '--events', 'student.*, grade.assigned')
    expect(r.code).toBe(0)
    key = /key: (mtk_\S+)/.exec(r.stdout)![1]!
    const id = /\(id ([0-9a-f-]{36})\)/.exec(r.stdout)![1]
    expect(r.stdout).toContain('shown only this once')
    const [row] = await database.db.select().from(apiKeys).where(eq(apiKeys.name, 'hospital-sync'))
    expect(row).toMatchObject({ id, keyHash: createHash('sha256').update(key).digest('hex'), prefix: key.slice(0, 12), eventPatterns: ['student.*', 'grade.assigned'], revokedAt: null })
    expect(JSON.stringify(row)).not.toContain(key)
  })

  test('list shows name, prefix, patterns and state, never the key', async () => {
    const r = await apikey('list')
    expect(r.code).toBe(0)
    const line = r.stdout.split('\n').find((l) => l.startsWith('hospital-sync '))!
    expect(line).toContain(`${key.slice(0, 12)}…`)
    expect(line).toContain('student.*,grade.assigned')
    expect(line).toContain('active')
    expect(r.stdout).not.toContain(key)
    expect(r.stdout).toContain('1 API key(s)')
  })

  test('the key publishes what its patterns allow at /events/publish, and nothing else', async () => {
    const res = await publish(key)
    expect(res.status).toBe(202)
    expect((await res.json()).event_type).toBe('student.created')
    expect(await messageCount(broker, queue)).toBe(1)
    expect((await publish(key, 'grade.assigned')).status).toBe(202)
    expect((await publish(key, 'stage.cancelled', { stage_id: crypto.randomUUID(), reason: 'closed' })).status).toBe(403)
    expect(await messageCount(broker, queue)).toBe(2)
  })

  test('a second key with the name of an active one is refused', async () => {
    const r = await apikey('create', '--name', 'hospital-sync', '--events', '*')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("an active API key named 'hospital-sync' exists")
    expect(r.stdout).not.toContain('mtk_')
  })

  test('malformed patterns, missing options, a stray argument or a name over 100 characters are refused before anything is stored', async () => {
    const bad = await apikey('create', '--name', 'typo', '--events', 'Student Created')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("'Student Created' is not an event pattern")
    expect((await apikey('create', '--name', 'typo')).code).toBe(2)
    expect((await apikey('create', '--events', '*')).code).toBe(2)
    expect((await apikey('rotate')).stderr).toContain('usage: bun run apikey')
    const extra = await apikey('create', '--name', 'typo', '--events', '*', 'stray')
    expect(extra.code).toBe(2)
    expect(extra.stderr).toContain("unexpected argument 'stray'")
    const long = await apikey('create', '--name', 'x'.repeat(101), '--events', '*')
    expect(long.code).toBe(2)
    expect(long.stderr).toContain('--name must be at most 100 characters')
    expect(await database.db.select().from(apiKeys).where(eq(apiKeys.name, 'typo'))).toEqual([])
    expect(await database.db.select().from(apiKeys).where(eq(apiKeys.name, 'x'.repeat(101)))).toEqual([])
  })

  test('revoke by name: the key is refused with 401 within a few seconds; list shows it revoked', async () => {
    const r = await apikey('revoke', 'hospital-sync')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("revoked API key 'hospital-sync'")
    // Probed with an empty payload: 422 while the key still counts, 401 once it does not, nothing published either way.
    await waitFor(async () => (await publish(key, 'student.created', {})).status === 401, 3_000, 'the revoked key refused')
    expect((await publish(key)).status).toBe(401)
    expect(await messageCount(broker, queue)).toBe(2)
    expect((await apikey('list')).stdout).toMatch(/^hospital-sync .* revoked \d{4}-/m)
    expect((await apikey('revoke', 'hospital-sync')).stdout).toContain('was already revoked')
  })

  test('a revoked key leaves its name to the key that replaces it: the new key works, the old one stays refused; revoke by name takes the active one', async () => {
    const replaced = await apikey('create', '--name', 'hospital-sync', '--events', 'student.*')
    expect(replaced.code).toBe(0)
    const newKey = /key: (mtk_\S+)/.exec(replaced.stdout)![1]!
    expect((await publish(newKey)).status).toBe(202)
    expect((await publish(key)).status).toBe(401)
    expect((await apikey('list')).stdout.match(/^hospital-sync /gm)).toHaveLength(2)
    expect((await apikey('revoke', 'hospital-sync')).stdout).toContain("revoked API key 'hospital-sync'")
    await waitFor(async () => (await publish(newKey, 'student.created', {})).status === 401, 3_000, 'the replacement revoked too')
  })

  test('revoke by id; an unknown name is an error', async () => {
    const created = await apikey('create', '--name', 'exam-board', '--events', 'grade.*')
    const id = /\(id ([0-9a-f-]{36})\)/.exec(created.stdout)![1]!
    expect((await apikey('revoke', id)).stdout).toContain("revoked API key 'exam-board'")
    const unknown = await apikey('revoke', 'nobody')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("no API key named or with id 'nobody'")
  })

  test('a database that is not there, or not reachable: exit 1 with one sentence naming it, no stack trace', async () => {
    const missing = new URL(database.url)
    missing.pathname = `/${missing.pathname.slice(1)}_missing`
    const closed = new URL(database.url)
    closed.port = String(await closedPort())
    for (const [url, says] of [
      [missing.toString(), `database "${missing.pathname.slice(1)}" does not exist`],
      [closed.toString(), 'ECONNREFUSED'],
    ] as const) {
      const r = await apikeyAt(url, 'list')
      expect(r.code).toBe(1)
      expect(r.stderr).toStartWith('apikey: ')
      expect(r.stderr).toContain(says)
      expect(r.stderr).not.toContain('    at ')
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
    }
  })
})
