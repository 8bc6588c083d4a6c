import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { catalogue } from '../schemas/events/index.ts'
import { connect, messageCount, testNamespace, waitFor } from '../test/broker.ts'
import { closedPort } from '../test/service.ts'
import { createEventConsumer, createPublisher, deleteTopology, Names, PermanentError, uuidV5, type Envelope, type QueueConsumer } from '../core/index.ts'

const namespace = testNamespace('dlq')
const connection = connect()
const publisher = createPublisher({ connection, catalogue, service: 'profile', namespace })
let accept = false
const handled: string[] = []
let consumer: QueueConsumer
const dead: Envelope[] = []

async function dlq(...args: string[]) {
  return dlqWith({}, ...args)
}

async function dlqWith(env: Record<string, string>, ...args: string[]) {
  const p = Bun.spawn(['bun', 'scripts/dlq.ts', ...args], { cwd: `${import.meta.dir}/..`, env: { ...process.env, MEDTRACK_NAMESPACE: namespace, ...env }, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return { stdout, stderr, code }
}

beforeAll(async () => {
  consumer = await createEventConsumer({
    connection,
    catalogue,
    service: 'comm',
    namespace,
    handlers: {
      'grade.assigned': (e) => {
        if (!accept) throw new PermanentError('NO_STUDENT', `unknown student ${e.payload.student_id}`)
        handled.push(e.event_id)
      },
    },
  })
  await consumer.ready
  for (let i = 0; i < 3; i++) dead.push(await publisher.publish('grade.assigned', { student_id: crypto.randomUUID(), stage_id: crypto.randomUUID(), final_grade: 12 + i }))
  await waitFor(() => consumer.stats.dead === 3)
})

afterAll(async () => {
  await consumer.close()
  await publisher.close()
  await deleteTopology(connection, { namespace, services: ['comm'] })
  await connection.close()
})

describe('bun run dlq', () => {
  test('list prints each dead letter with its id, type, class, attempts and reason, and leaves the queue as it was', async () => {
    const r = await dlq('list', 'comm')
    expect(r.code).toBe(0)
    for (const e of dead) {
      const line = r.stdout.split('\n').find((l) => l.includes(e.event_id))!
      expect(line).toContain('grade.assigned')
      expect(line).toContain('permanent×1')
      expect(line).toContain(`unknown student ${e.payload.student_id}`)
    }
    expect(r.stdout).toContain('3 dead letter(s) in comm')
    expect(await messageCount(connection, new Names(namespace).deadQueue('comm'))).toBe(3)
  })

  test('lists, one after another and two at once from two terminals, each print every letter once, in order, none of them redelivered', async () => {
    const queue = new Names(namespace).deadQueue('comm')
    const listed = async () => (await dlq('list', 'comm', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { messageId: string; headers: Record<string, unknown> })
    const first = await listed()
    expect(first.map((d) => d.messageId).sort()).toEqual(dead.map((e) => e.event_id).sort())
    const rounds = [await listed(), await listed(), ...(await Promise.all([listed(), listed()]))]
    for (const round of rounds) expect(round.map((d) => d.messageId)).toEqual(first.map((d) => d.messageId))
    expect(rounds.flat().filter((d) => Number(d.headers['x-delivery-count'] ?? 0) > 0)).toEqual([])
    expect(await messageCount(connection, queue)).toBe(3)
  })

  test('show prints the original body and headers of one dead letter', async () => {
    const r = await dlq('show', 'comm', dead[0]!.event_id)
    expect(r.code).toBe(0)
    const shown = JSON.parse(r.stdout)
    expect(JSON.parse(shown.body)).toEqual(dead[0])
    expect(shown.headers['x-medtrack-original-queue']).toBe(new Names(namespace).eventQueue('comm'))
    expect((await dlq('show', 'comm', 'no-such-id')).code).toBe(1)
  })

  test('replay of one id brings it back to its queue, where it is processed; purge removes the rest', async () => {
    accept = true
    const r = await dlq('replay', 'comm', dead[1]!.event_id)
    expect(r.stdout).toContain('replayed 1 dead letter(s)')
    await waitFor(() => handled.includes(dead[1]!.event_id))
    expect(await messageCount(connection, new Names(namespace).deadQueue('comm'))).toBe(2)
    expect((await dlq('purge', 'comm', '--all')).stdout).toContain('purged 2 dead letter(s)')
    expect(await messageCount(connection, new Names(namespace).deadQueue('comm'))).toBe(0)
    expect(handled).toEqual([dead[1]!.event_id])
  })

  test('purge without ids deletes nothing unless told --all', async () => {
    const queue = new Names(namespace).deadQueue('comm')
    const ch = await connection.acquire()
    await ch.basicPublish({ routingKey: queue, messageId: 'kept', headers: { 'x-medtrack-error': 'kept', 'x-medtrack-original-queue': 'nowhere' } }, '{}')
    await ch.close()
    await waitFor(async () => (await messageCount(connection, queue)) === 1)
    const bare = await dlq('purge', 'comm')
    expect(bare.code).toBe(2)
    expect(bare.stderr).toContain('name their ids, or say --all')
    expect((await dlq('purge', 'comm', 'kept', '--all')).code).toBe(2)
    expect(await messageCount(connection, queue)).toBe(1)
    expect((await dlq('purge', 'comm', '--all')).stdout).toContain('purged 1 dead letter(s)')
  })

  test('an unknown service or command is refused with usage', async () => {
    expect((await dlq('list', 'billing')).stderr).toContain("unknown service 'billing'")
    expect((await dlq('explode', 'comm')).code).toBe(2)
    const bogus = await dlq('list', 'comm', '--bogus')
    expect(bogus.code).toBe(2)
    expect(bogus.stderr).toContain("Unknown option '--bogus'")
    expect(bogus.stderr).toContain('usage: bun run dlq')
    expect(bogus.stderr).not.toContain('    at ')
  })

  test('replay of letters that fail again ends: each is sent back once and is dead again, not replayed in a loop', async () => {
    accept = false
    const before = consumer.stats.dead
    const again = await Promise.all([0, 1, 2].map((i) => publisher.publish('grade.assigned', { student_id: crypto.randomUUID(), stage_id: crypto.randomUUID(), final_grade: i })))
    await waitFor(() => consumer.stats.dead === before + 3)
    const r = await dlq('replay', 'comm')
    expect(r).toMatchObject({ code: 0, stdout: 'replayed 3 dead letter(s) of comm\n' })
    await waitFor(() => consumer.stats.dead === before + 6)
    const letters = JSON.parse(`[${(await dlq('list', 'comm', '--json')).stdout.trim().split('\n').join(',')}]`) as { messageId: string }[]
    expect(letters.map((d) => d.messageId).sort()).toEqual(again.map((e) => e.event_id).sort())
    expect((await dlq('purge', 'comm', '--all')).stdout).toContain('purged 3 dead letter(s)')
  })

  test('list and show reach every letter, past a thousand; replay or purge of an id that is not there says so (exit 1)', async () => {
    const queue = new Names(namespace).deadQueue('comm')
    // Confirmed, every one: the count below then waits for nothing that can be lost on the way.
    const bulk = connection.createPublisher({ confirm: true })
    await Promise.all(Array.from({ length: 1_050 }, (_, i) => bulk.send({ routingKey: queue, messageId: `bulk-${i}`, headers: { 'x-medtrack-error': 'bulk', 'x-medtrack-original-queue': 'nowhere' } }, '{}')))
    await bulk.close()
    await waitFor(async () => (await messageCount(connection, queue)) === 1_050, 25_000, 'the 1,050 letters queued')
    expect((await dlq('list', 'comm')).stdout).toContain('1050 dead letter(s) in comm')
    expect((await dlq('show', 'comm', 'bulk-1049')).code).toBe(0)
    for (const command of ['replay', 'purge']) {
      const r = await dlq(command, 'comm', 'no-such-id')
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('no dead letter with id no-such-id in comm')
    }
    expect((await dlq('purge', 'comm', '--all')).stdout).toContain('purged 1050 dead letter(s)')
  }, 30_000)

  test('a message of an older publisher (no event_id, no AMQP messageId or type) is listed by the id consumers give it and its body\'s type, and replayed by that id', async () => {
    accept = false
    const before = consumer.stats.dead
    const body = JSON.stringify({ event_type: 'grade.assigned', payload: { student_id: crypto.randomUUID(), stage_id: crypto.randomUUID(), final_grade: 9 }, service: 'legacy-exams', timestamp: new Date().toISOString(), version: '1.0' })
    const ch = await connection.acquire()
    await ch.basicPublish({ exchange: new Names(namespace).events, routingKey: 'grade.assigned', contentType: 'application/json', durable: true }, body)
    await ch.close()
    await waitFor(() => consumer.stats.dead === before + 1)
    const id = uuidV5(new TextEncoder().encode(body))
    const listed = (await dlq('list', 'comm')).stdout.split('\n').find((l) => l.includes(id))
    expect(listed).toContain('grade.assigned')
    accept = true
    expect((await dlq('replay', 'comm', id)).stdout).toContain('replayed 1 dead letter(s)')
    await waitFor(() => handled.includes(id))
  })

  test('no dead-letter queue, or no broker: exit 1 with one sentence, no stack trace, within seconds', async () => {
    const missing = await dlqWith({ MEDTRACK_NAMESPACE: testNamespace('none') }, 'list', 'comm')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('there is no dead-letter queue')
    expect(missing.stderr).not.toContain('    at ')
    const started = performance.now()
    const away = await dlqWith({ RABBITMQ_URL: `amqp://guest:guest@127.0.0.1:${await closedPort()}` }, 'replay', 'comm')
    expect(away.code).toBe(1)
    expect(away.stderr).toStartWith('dlq replay: ')
    expect(away.stderr).not.toContain('    at ')
    expect(performance.now() - started).toBeLessThan(15_000)
    const refused = await dlqWith({ RABBITMQ_URL: 'amqp://guest:not-the-password@127.0.0.1:5672' }, 'list', 'comm')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toStartWith('dlq list: ACCESS_REFUSED - Login was refused')
  }, 40_000)
})
