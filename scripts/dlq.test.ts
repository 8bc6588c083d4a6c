import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { catalogue } from '../schemas/events/index.ts'
import { connect, messageCount, testNamespace, waitFor } from '../test/broker.ts'
import { createEventConsumer, createPublisher, deleteTopology, Names, PermanentError, type Envelope, type QueueConsumer } from '../core/index.ts'

const namespace = testNamespace('dlq')
const connection = connect()
const publisher = createPublisher({ connection, catalogue, service: 'profile', namespace })
let accept = false
const handled: string[] = []
let consumer: QueueConsumer
const dead: Envelope[] = []

async function dlq(...args: string[]) {
  const p = Bun.spawn(['bun', 'scripts/dlq.ts', ...args], { cwd: `${import.meta.dir}/..`, env: { ...process.env, MEDTRACK_NAMESPACE: namespace }, stdout: 'pipe', stderr: 'pipe' })
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
    expect((await dlq('purge', 'comm')).stdout).toContain('purged 2 dead letter(s)')
    expect(await messageCount(connection, new Names(namespace).deadQueue('comm'))).toBe(0)
    expect(handled).toEqual([dead[1]!.event_id])
  })

  test('an unknown service or command is refused with usage', async () => {
    expect((await dlq('list', 'billing')).stderr).toContain("unknown service 'billing'")
    expect((await dlq('explode', 'comm')).code).toBe(2)
  })
})
