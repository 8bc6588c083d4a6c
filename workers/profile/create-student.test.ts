import { afterAll, beforeAll, expect, test } from 'bun:test'
import { DomainError, silentLogger, type Emit, type Envelope } from '../../core/index.ts'
import { accounts, encadrants } from '../../schemas/db/profile.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import type { Catalogue, CommandPayload } from '../kit/define.ts'
import { createStudent } from './handlers/create-student.ts'
import { insertStudent } from './profiles.ts'

let database: TestDatabase

beforeAll(async () => {
  database = await createTestDatabase('create_student')
})
afterAll(() => database.drop())

/** Runs the handler over commands that arrived together, in one transaction; what each emitted, by position. */
async function createTogether(payloads: CommandPayload<'profile.create_student'>[]) {
  const emitted: string[][] = payloads.map(() => [])
  const answers = await database.db.transaction((tx) =>
    createStudent.batch(
      payloads.map((payload, n) => ({
        command: { command_id: crypto.randomUUID(), correlation_id: null, actor: { user_id: null, role: 'admin' }, payload },
        emit: ((type: string) => void emitted[n]!.push(type) as unknown as Envelope) as Emit<Catalogue>,
      })),
      { tx, log: silentLogger },
    ),
  )
  return { answers, emitted }
}

const email = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.org`

test('commands that arrived together: each its own student, in order; an email taken earlier in the same batch (any case) is a 409 that emits nothing', async () => {
  const a = email('a')
  const { answers, emitted } = await createTogether([{ email: a }, { email: email('b'), first_name: 'Bea' }, { email: a.toUpperCase() }])
  expect(answers.map((x) => (x instanceof DomainError ? x.status : x.status))).toEqual([201, 201, 409])
  expect((answers[1] as { body: { first_name: string } }).body.first_name).toBe('Bea')
  expect(emitted).toEqual([['student.created'], ['student.created'], []])
})

test("an encadrant's email, a user id given twice, and a registered account's email (which keeps its user id)", async () => {
  const enc = email('enc')
  await database.db.insert(encadrants).values({ id: crypto.randomUUID(), userId: crypto.randomUUID(), email: enc })
  const registered = email('reg')
  const account = crypto.randomUUID()
  await database.db.insert(accounts).values({ userId: account, email: registered })
  const userId = crypto.randomUUID()
  const { answers } = await createTogether([{ email: enc.toUpperCase() }, { email: email('u1'), user_id: userId }, { email: email('u2'), user_id: userId }, { email: registered }])
  expect(answers.map((x) => x.status)).toEqual([409, 201, 409, 201])
  expect((answers[1] as { body: { user_id: string } }).body.user_id).toBe(userId)
  expect((answers[3] as { body: { user_id: string } }).body.user_id).toBe(account)
})

test("commands that arrived together, refused for different reasons: each 409 names its own field, the others of the batch are made", async () => {
  const admin = { userId: crypto.randomUUID(), email: email('admin') }
  await database.db.insert(accounts).values({ ...admin, role: 'admin' })
  const userId = crypto.randomUUID()
  const taken = email('taken')
  const { answers, emitted } = await createTogether([
    { email: admin.email },
    { email: email('fresh'), user_id: admin.userId },
    { email: taken, user_id: userId },
    { email: email('fresh'), user_id: userId },
    { email: taken.toUpperCase() },
    { email: email('ok') },
  ])
  expect(answers.map((x) => x.status)).toEqual([409, 409, 201, 409, 409, 201])
  expect(answers.map((x) => (x instanceof DomainError ? x.problems : []))).toEqual([
    [{ path: '/email', message: "the account is not a student's" }],
    [{ path: '/user_id', message: "the account is not a student's" }],
    [],
    [{ path: '/user_id', message: 'already has a profile' }],
    [{ path: '/email', message: 'already registered' }],
    [],
  ])
  expect(emitted).toEqual([[], [], ['student.created'], [], [], ['student.created']])
})

test('a profile id given in upper case (as an external system may send it) still comes back with its row, in the lower case PostgreSQL keeps', async () => {
  const id = crypto.randomUUID()
  const row = await database.db.transaction((tx) => insertStudent(tx, { id: id.toUpperCase(), userId: crypto.randomUUID(), email: email('upper') }))
  expect(row?.id).toBe(id)
})
