import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { listDeadLetters, Names, replayDeadLetters } from '../../core/index.ts'
import { profileApi } from '../../api/profile/app.ts'
import { bearer, json, startService, tokenFor, type Service } from '../../test/service.ts'
import { waitFor } from '../../test/broker.ts'
import { profileWorker } from '../profile/worker.ts'

let s: Service

beforeAll(async () => {
  s = await startService({ label: 'cmdfail', api: profileApi, worker: profileWorker, env: { RETRY_TIERS: '100,200' } })
})
afterAll(() => s.close())

async function sendRaw(command: { command_id: string; command_type: string; payload: Record<string, unknown> }, actor: string) {
  const publisher = s.connection.createPublisher({ confirm: true })
  await publisher.send(
    { routingKey: new Names(s.namespace).commandQueue('profile'), messageId: command.command_id, type: command.command_type, durable: true, contentType: 'application/json' },
    { ...command, correlation_id: null, actor: { user_id: actor, role: 'admin' } },
  )
  await publisher.close()
}

/** The operation as its sender sees it once it is no longer pending. */
async function settled(id: string, token: string) {
  let res: Response | undefined
  await waitFor(async () => (res = await fetch(s.url(`/profile/api/operations/${id}`), { headers: bearer(token) })).status !== 202, 10_000, `operation ${id}`)
  return { status: res!.status, body: await json(res!) }
}

describe('a command that cannot be applied', () => {
  test('no handler for its type: it is set aside in profile.dead and its operation answers a failure, not pending for ever', async () => {
    const actor = crypto.randomUUID()
    const id = crypto.randomUUID()
    await sendRaw({ command_id: id, command_type: 'profile.promote_student', payload: {} }, actor)
    const op = await settled(id, await tokenFor('admin', actor))
    expect(op).toEqual({
      status: 200,
      body: { operation_id: id, command_type: 'profile.promote_student', status: 'failed', http_status: 500, error: { error: 'COMMAND_FAILED', message: 'the command could not be applied; it was set aside for an operator' } },
    })
    // The result is stored just before the message is set aside: wait for the dead letter itself.
    const deadLetter = async () => (await listDeadLetters({ connection: s.connection, service: 'profile', namespace: s.namespace })).find((d) => d.messageId === id)
    await waitFor(async () => (await deadLetter()) !== undefined, 5_000, 'the dead letter')
    expect(await deadLetter()).toMatchObject({ errorClass: 'permanent', error: 'this worker has no handler for profile.promote_student' })
  })

  test('set aside, then replayed once the fault is mended: applied, and its operation turns from the failure to the real result', async () => {
    const actor = crypto.randomUUID()
    const token = await tokenFor('admin', actor)
    const id = crypto.randomUUID()
    const email = `replayed-${id.slice(0, 8)}@example.org`
    await s.database.db.execute(sql`alter table profile.students rename to students_away`)
    try {
      await sendRaw({ command_id: id, command_type: 'profile.create_student', payload: { email, first_name: 'Later' } }, actor)
      expect((await settled(id, token)).body).toMatchObject({ status: 'failed', http_status: 500 })
      await waitFor(async () => (await listDeadLetters({ connection: s.connection, service: 'profile', namespace: s.namespace })).some((d) => d.messageId === id), 5_000, 'the dead letter')
    } finally {
      await s.database.db.execute(sql`alter table profile.students_away rename to students`)
    }
    expect(await replayDeadLetters({ connection: s.connection, service: 'profile', namespace: s.namespace, ids: [id] })).toEqual({ count: 1, missing: [] })
    let op: Awaited<ReturnType<typeof settled>> | undefined
    await waitFor(async () => (op = await settled(id, token)).body.status === 'succeeded', 10_000, 'the replayed operation')
    expect(op!).toMatchObject({ status: 200, body: { status: 'succeeded', http_status: 201, result: { email, first_name: 'Later' } } })
    const rows = (await s.database.db.execute(sql`select id from profile.students where email = ${email}`)) as unknown as { id: string }[]
    expect(rows).toHaveLength(1)
    expect(op!.body.result.id).toBe(rows[0]!.id)
  })

  test('a command nesting deeper than 64 levels is set aside at once, with its operation failed, not handed back again and again', async () => {
    const actor = crypto.randomUUID()
    const id = crypto.randomUUID()
    const body = `{"command_id":"${id}","command_type":"profile.create_student","correlation_id":null,"actor":{"user_id":"${actor}","role":"admin"},"payload":{"email":"deep@example.org","x":${'['.repeat(50_000)}${']'.repeat(50_000)}}}`
    const publisher = s.connection.createPublisher({ confirm: true })
    await publisher.send({ routingKey: new Names(s.namespace).commandQueue('profile'), messageId: id, type: 'profile.create_student', durable: true, contentType: 'application/json' }, Buffer.from(body))
    await publisher.close()
    expect((await settled(id, await tokenFor('admin', actor))).body).toMatchObject({ status: 'failed', http_status: 500 })
    const deadLetter = async () => (await listDeadLetters({ connection: s.connection, service: 'profile', namespace: s.namespace })).find((d) => d.messageId === id)
    await waitFor(async () => (await deadLetter()) !== undefined, 5_000, 'the dead letter')
    expect(await deadLetter()).toMatchObject({ attempts: 1, errorClass: 'permanent', error: expect.stringContaining('/payload must not nest') })
  })

  test('a command whose body cannot be read: its failure is an admin\'s to read, not anyone\'s who has its id', async () => {
    const id = crypto.randomUUID()
    const publisher = s.connection.createPublisher({ confirm: true })
    await publisher.send({ routingKey: new Names(s.namespace).commandQueue('profile'), messageId: id, type: 'profile.create_student', durable: true, contentType: 'application/json' }, Buffer.from('{"command_id": truncated'))
    await publisher.close()
    const admin = await settled(id, await tokenFor('admin', crypto.randomUUID()))
    expect(admin.body).toMatchObject({ status: 'failed', http_status: 500 })
    expect((await fetch(s.url(`/profile/api/operations/${id}`))).status).toBe(401)
    const student = await fetch(s.url(`/profile/api/operations/${id}`), { headers: bearer(await tokenFor('student', crypto.randomUUID())) })
    expect({ status: student.status, body: await json(student) }).toEqual({ status: 202, body: { operation_id: id, status: 'pending' } })
  })

  test('a command whose id no result can be stored under (3,000 characters) is set aside once, not handed back again and again', async () => {
    const id = 'c'.repeat(3_000)
    const publisher = s.connection.createPublisher({ confirm: true })
    await publisher.send({ routingKey: new Names(s.namespace).commandQueue('profile'), messageId: id, type: 'profile.create_student', durable: true, contentType: 'application/json' }, { command_id: id, command_type: 'profile.create_student', correlation_id: null, actor: { user_id: null, role: 'admin' }, payload: { email: 'long-id@example.org' } })
    await publisher.close()
    const deadLetters = async () => (await listDeadLetters({ connection: s.connection, service: 'profile', namespace: s.namespace })).filter((d) => d.messageId === id)
    await waitFor(async () => (await deadLetters()).length === 1, 5_000, 'the dead letter')
    expect((await deadLetters())[0]).toMatchObject({ attempts: 1, errorClass: 'permanent', error: expect.stringContaining('/command_id') })
  })

  test('data the database refuses (SQLSTATE 22) is permanent: dead-lettered at once, no retries, and the error names no parameter', async () => {
    const actor = crypto.randomUUID()
    const id = crypto.randomUUID()
    await sendRaw({ command_id: id, command_type: 'profile.create_student', payload: { email: 'nul@example.org', first_name: 'Secret\u0000Name' } }, actor)
    const op = await settled(id, await tokenFor('admin', actor))
    expect(op.body).toMatchObject({ status: 'failed', http_status: 500 })
    const deadLetters = async () => (await listDeadLetters({ connection: s.connection, service: 'profile', namespace: s.namespace })).filter((d) => d.messageId === id)
    await waitFor(async () => (await deadLetters()).length === 1, 5_000, 'the dead letter')
    const [dead] = await deadLetters()
    expect(dead).toMatchObject({ attempts: 1, errorClass: 'permanent' })
    expect(dead!.error).toStartWith('database: ')
    expect(dead!.error).not.toContain('Secret')
    expect(dead!.error).not.toContain('nul@example.org')
  })
})
