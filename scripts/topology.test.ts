import { afterEach, beforeEach, expect, test } from 'bun:test'
import type { Connection } from 'rabbitmq-client'
import { createPublisher, deleteTopology, Names, topology } from '../core/index.ts'
import { commandBindings } from '../schemas/commands/index.ts'
import { catalogue } from '../schemas/events/index.ts'
import { connect, messageCount, testNamespace, waitFor } from '../test/broker.ts'

/** The design's queue table, copied rather than read from code, with the account events each service's token versions are kept from. */
const EXPECTED_BINDINGS: Record<string, string[]> = {
  'auth.events': ['user.*', 'student.*', 'encadrant.*'],
  'profile.events': ['user.created', 'user.verified', 'user.deleted', 'user.password_changed', 'stage.accepted', 'stage.cancelled'],
  'comm.events': ['student.*', 'stage.*', 'notification.*', 'user.created', 'encadrant.*', 'evaluation.*', 'grade.*', 'user.password_changed', 'user.deleted', 'email.*'],
  'core.events': ['student.*', 'encadrant.*', 'establishment.*', 'grade.assigned', 'user.created', 'user.password_changed', 'user.deleted'],
  'eval.events': ['stage.*', 'student.*', 'encadrant.*', 'user.created', 'user.password_changed', 'user.deleted'],
}

let ns: string
let connection: Connection

beforeEach(() => {
  ns = testNamespace('topology')
  connection = connect()
})

afterEach(async () => {
  await deleteTopology(connection, { namespace: ns })
  await connection.close()
})

async function runTopology(args: string[], namespace: string) {
  const proc = Bun.spawn(['bun', 'scripts/topology.ts', ...args], {
    env: { ...process.env, MEDTRACK_NAMESPACE: namespace },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  return { code, stdout, stderr }
}

test('prints every service queue with the bindings docs/events.md lists to the events exchange', async () => {
  const { code, stdout } = await runTopology([], '')
  expect(code).toBe(0)
  const rows = stdout.split('\n')
  for (const [queue, keys] of Object.entries(EXPECTED_BINDINGS)) {
    const row = rows.find((r) => r.startsWith(`${queue} `))
    expect(row, `row of ${queue}`).toBeDefined()
    expect(row).toContain('quorum')
    const bound = row!.match(/medtrack\.events: ([^;]+)/)?.[1]?.trim().split(', ')
    expect(bound?.sort()).toEqual([...keys].sort())
  }
  expect(rows.find((r) => r.startsWith('comm.events '))).toContain('grade.*')
  expect(rows.find((r) => r.startsWith('auth.retry.30s '))).toMatch(/quorum\s+30s\s+auth\.retry/)
})

test('--json prints the topology() object', async () => {
  const { code, stdout } = await runTopology(['--json'], ns)
  expect(code).toBe(0)
  expect(JSON.parse(stdout)).toEqual(topology({ namespace: ns, commands: commandBindings() }))
})

test('--declare is idempotent and routes student.created to auth, comm, core and eval, not profile', async () => {
  for (let i = 0; i < 2; i++) {
    const run = await runTopology(['--declare'], ns)
    expect(run.stderr).toContain(`in namespace ${ns}`)
    expect(run.code).toBe(0)
  }
  const publisher = createPublisher({ connection, catalogue, service: 'profile', namespace: ns })
  await publisher.publish('student.created', {
    student_id: '2dab8b3e-5b9c-4e4a-9f3c-7d8e9f0a1b23',
    user_id: '0b8e6f1c-3f7a-4c2e-9d1a-5b6c7d8e9f01',
    email: 'amina@example.org',
  })
  await publisher.close()

  const names = new Names(ns)
  for (const s of ['auth', 'comm', 'core', 'eval']) {
    const queue = names.eventQueue(s)
    await waitFor(async () => (await messageCount(connection, queue)) === 1, 5_000, `one message on ${queue}`)
  }
  expect(await messageCount(connection, names.eventQueue('profile'))).toBe(0)
})
