import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { Buffer } from 'node:buffer'
import type { Connection } from 'rabbitmq-client'
import { deleteTopology, Names, uuidV5 } from '../core/index.ts'
import { connect, testNamespace, waitFor } from '../test/broker.ts'

const STUDENT = {
  student_id: '2dab8b3e-5b9c-4e4a-9f3c-7d8e9f0a1b23',
  user_id: '0b8e6f1c-3f7a-4c2e-9d1a-5b6c7d8e9f01',
  email: 'amina@example.org',
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

let ns: string
let connection: Connection
const running: Bun.Subprocess[] = []

beforeEach(() => {
  ns = testNamespace('events')
  connection = connect()
})

afterEach(async () => {
  for (const p of running.splice(0)) p.kill()
  await deleteTopology(connection, { namespace: ns })
  await connection.close()
})

function spawnEvents(args: string[]) {
  const proc = Bun.spawn(['bun', 'scripts/events.ts', ...args], {
    env: { ...process.env, MEDTRACK_NAMESPACE: ns },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  running.push(proc)
  return proc
}

/** Resolves with `p`, or rejects after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

async function runEvents(args: string[]) {
  const proc = spawnEvents(args)
  const [code, stdout, stderr] = await within(
    Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]),
    15_000,
    `events ${args.join(' ')}`,
  )
  return { code, stdout, stderr }
}

/** Starts `events tail` and resolves once it has bound its queue; `lines` resolves when it exits after `count` lines. */
async function startTail(pattern: string, count?: number) {
  const proc = spawnEvents(['tail', pattern, ...(count === undefined ? [] : ['--count', String(count)])])
  let stderr = ''
  const drained = (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of proc.stderr) stderr += decoder.decode(chunk, { stream: true })
  })()
  await waitFor(() => stderr.includes('tailing ') || proc.exitCode !== null, 15_000, 'tail to be ready')
  expect(stderr).toContain(`tailing ${pattern} on ${new Names(ns).events}`)
  const lines = (async () => {
    const [code, stdout] = await within(Promise.all([proc.exited, new Response(proc.stdout).text(), drained]), 15_000, 'tail lines')
    expect(code).toBe(0)
    return stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, any>)
  })()
  return { proc, lines, stderr: () => stderr }
}

/** Publishes `body` with a plain rabbitmq-client publisher, as the first services did: no messageId, no confirms needed. */
async function publishRaw(routingKey: string, body: Buffer | string, properties: { contentType?: string; messageId?: string } = {}) {
  const publisher = connection.createPublisher({ confirm: true })
  await publisher.send({ exchange: new Names(ns).events, routingKey, contentType: 'application/json', durable: true, ...properties }, body)
  await publisher.close()
}

describe('events tail', () => {
  test('prints the full envelope of an event published by `events publish`', async () => {
    const tail = await startTail('student.*', 1)
    const published = await runEvents(['publish', 'student.created', JSON.stringify(STUDENT), '--correlation-id', 'req-42'])
    expect(published.stderr).toBe('')
    expect(published.code).toBe(0)
    const envelope = JSON.parse(published.stdout)
    expect(envelope).toMatchObject({ event_type: 'student.created', service: 'cli-service', correlation_id: 'req-42', causation_id: null })

    const [line] = await tail.lines
    expect(line).toEqual({ routing_key: 'student.created', ...envelope })
    expect(Object.keys(line!)).toEqual([
      'routing_key',
      'event_id',
      'event_type',
      'version',
      'service',
      'timestamp',
      'correlation_id',
      'causation_id',
      'payload',
    ])
  })

  test('gives an old-style message without event_id the messageId, else a UUID derived from its bytes', async () => {
    const tail = await startTail('#', 3)
    const oldStyle = {
      event_type: 'student.created',
      payload: STUDENT,
      service: 'profile-service',
      timestamp: '2025-03-01T09:30:00.000Z',
      version: '1.0',
    }
    const bytes = Buffer.from(JSON.stringify(oldStyle), 'utf8')
    await publishRaw('student.created', bytes)
    await publishRaw('student.created', bytes)
    await publishRaw('student.created', bytes, { messageId: 'legacy-42' })

    const [first, second, third] = await tail.lines
    expect(first!.event_id).toMatch(UUID)
    expect(first!.event_id.charAt(14)).toBe('5')
    expect(first!.event_id).toBe(uuidV5(bytes))
    expect(second!.event_id).toBe(first!.event_id)
    expect(first).toEqual({ routing_key: 'student.created', ...oldStyle, event_id: first!.event_id, correlation_id: null, causation_id: null })
    expect(third!.event_id).toBe('legacy-42')
  })

  test('marks an invalid payload with schema_errors naming the path, a body that is not JSON, and one nesting too deeply', async () => {
    const tail = await startTail('#', 4)
    const invalid = {
      event_id: '7cf0d08d-a0e1-438f-8e8b-2c3d4e5f6a78',
      event_type: 'student.created',
      version: '1.0',
      service: 'profile-service',
      timestamp: '2025-03-01T09:30:00.000Z',
      correlation_id: null,
      causation_id: null,
      payload: { ...STUDENT, email: 'not-an-email' },
    }
    await publishRaw('student.created', Buffer.from(JSON.stringify(invalid)))
    await publishRaw('student.updated', Buffer.from('{"event_type": "student.upd'))
    await publishRaw('student.deleted', 'this is not json', { contentType: 'text/plain' })
    const deep = `{"event_type":"student.created","payload":${'['.repeat(50_000)}${']'.repeat(50_000)}}`
    await publishRaw('student.created', Buffer.from(deep), { contentType: 'application/json' })

    const [bad, truncated, notJson, tooDeep] = await tail.lines
    const { body: deepBody, ...deepLine } = tooDeep as { body: string }
    expect(deepLine).toEqual({ routing_key: 'student.created', schema_errors: [{ path: '/payload', message: 'must not nest arrays or objects more than 64 levels deep' }] })
    // Compared as a fact, not printed: the body is 100,000 characters.
    expect(deepBody === deep).toBe(true)
    expect(bad).toMatchObject({ routing_key: 'student.created', ...invalid })
    expect(bad!.schema_errors).toEqual([{ path: '/payload/email', message: expect.any(String) }])
    expect(truncated).toEqual({
      routing_key: 'student.updated',
      schema_errors: [{ path: '/', message: 'message body is not JSON' }],
      body: '{"event_type": "student.upd',
    })
    expect(notJson).toEqual({
      routing_key: 'student.deleted',
      schema_errors: [{ path: '/', message: 'message body is not JSON' }],
      body: 'this is not json',
    })
  })

  test('refuses a pattern no event type can match, saying why, instead of tailing nothing for ever', async () => {
    for (const [pattern, says] of [
      ['', 'at least one event pattern is needed'],
      ['Student.*', "'Student.*' is not an event pattern"],
      ['student..#', "'student..#' is not an event pattern"],
      ['student.*,grade.*', 'one pattern at a time'],
    ] as const) {
      const r = await runEvents(['tail', pattern])
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toContain(says)
    }
  })

  test('runs until SIGTERM, then closes cleanly', async () => {
    const tail = await startTail('grade.*')
    const emptyCorrelation = await runEvents(['publish', 'student.created', JSON.stringify(STUDENT), '--correlation-id', ''])
    expect(emptyCorrelation.code).toBe(1)
    expect(emptyCorrelation.stdout).toBe('')
    expect(emptyCorrelation.stderr).toContain('/correlation_id: ')

    const marker = await runEvents(['publish', 'user.deleted', JSON.stringify({ user_id: STUDENT.user_id })])
    expect(marker.code).toBe(0)
    tail.proc.kill('SIGTERM')
    expect(await tail.lines).toEqual([])
    expect(tail.stderr().trim().split('\n')).toHaveLength(1)
  })
})

describe('events publish', () => {
  test('refuses an invalid payload or envelope field, naming the path, and sends nothing', async () => {
    const tail = await startTail('#', 1)
    const refused = await runEvents(['publish', 'student.created', JSON.stringify({ ...STUDENT, email: 'nope' })])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toContain('/payload/email: ')

    const unknown = await runEvents(['publish', 'student.graduated', '{}'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("/event_type: unknown event type 'student.graduated'")

    const notJson = await runEvents(['publish', 'student.created', '{"student_id":'])
    expect(notJson.code).toBe(1)
    expect(notJson.stderr).toContain('/payload: not JSON')

    const emptyCorrelation = await runEvents(['publish', 'student.created', JSON.stringify(STUDENT), '--correlation-id', ''])
    expect(emptyCorrelation.code).toBe(1)
    expect(emptyCorrelation.stdout).toBe('')
    expect(emptyCorrelation.stderr).toContain('/correlation_id: ')

    const marker = await runEvents(['publish', 'user.deleted', JSON.stringify({ user_id: STUDENT.user_id })])
    expect(marker.code).toBe(0)
    const [first] = await tail.lines
    expect(first!.event_type).toBe('user.deleted')
  })
})
