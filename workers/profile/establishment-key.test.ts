import { afterAll, beforeAll, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { compileCatalogue, createUnitOfWork, openDatabase, silentLogger, type CommandResult, type Database, type Emit, type UnitOfWork, type WorkItem } from '../../core/index.ts'
import { encadrants, establishments, profileRuntime } from '../../schemas/db/profile.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { waitFor } from '../../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import type { Catalogue, Command, CommandPayload, Commands, WorkContext } from '../kit/define.ts'
import { profileWorker } from './worker.ts'

/*
 * Two transactions at once, in a chosen order: one is held open while the
 * other, applied by the unit of work as the worker applies a batch, waits for it.
 */

let database: TestDatabase
/** The unit of work's own pool, so that `database.db` stays free for the held transaction and the lock probe. */
let pool: Database
let uow: UnitOfWork<Catalogue>

beforeAll(async () => {
  database = await createTestDatabase('establishment_key')
  pool = openDatabase(database.url, { max: 2 })
  uow = createUnitOfWork({ db: pool, tables: profileRuntime, catalogue, validator: compileCatalogue(catalogue), service: 'profile' })
})
afterAll(async () => {
  await pool.$client.end({ timeout: 1 })
  await database.drop()
})

type Handler<P> = (command: Command<P>, ctx: WorkContext) => Promise<CommandResult>

/** The profile worker's handler of `type`, one that takes one command at a time. */
function handlerOf<K extends keyof Commands>(type: K): Handler<CommandPayload<K>> {
  const handler = profileWorker.commands?.[type]
  if (typeof handler !== 'function') throw new Error(`the profile worker has no handler of one ${type} at a time`)
  return handler as Handler<CommandPayload<K>>
}

const commandOf = <P>(payload: P): Command<P> => ({ command_id: crypto.randomUUID(), correlation_id: null, actor: { user_id: null, role: 'admin' }, payload })

/** An admin's command as the worker hands it to the unit of work. */
function item<K extends keyof Commands>(type: K, payload: CommandPayload<K>): WorkItem<Catalogue> {
  const command = commandOf(payload)
  const handler = handlerOf(type)
  return { consumer: 'commands', messageId: command.command_id, correlationId: null, commandType: type, actorId: null, apply: (tx, emit) => handler(command, { tx, emit, log: silentLogger }) }
}

/** The held transaction's events are not what these tests look at. */
const dropEmit = (() => undefined) as unknown as Emit<Catalogue>

/** Applies the command in a transaction of `database.db` that commits only once `release` is called. */
function held<K extends keyof Commands>(type: K, payload: CommandPayload<K>) {
  const handler = handlerOf(type)
  let release!: () => void
  const released = new Promise<void>((r) => (release = r))
  let done = false
  const answer = database.db.transaction(async (tx) => {
    const result = await handler(commandOf(payload), { tx, emit: dropEmit, log: silentLogger })
    done = true
    await released
    return result
  })
  return { answer, release, applied: () => waitFor(() => done, 5_000, 'the held transaction applied') }
}

/** Waits until a session of this database waits for a row lock. */
const someoneWaits = () =>
  waitFor(
    async () => (await database.db.execute<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0]!.n > 0,
    5_000,
    'a transaction waiting for a lock',
  )

async function setUp() {
  const est = crypto.randomUUID()
  await database.db.insert(establishments).values({ id: est, name: 'CHU Ibn Rochd', city: 'Casablanca' })
  const [a, b] = [crypto.randomUUID(), crypto.randomUUID()]
  await database.db.insert(encadrants).values([a, b].map((id) => ({ id, userId: crypto.randomUUID(), email: `${id}@example.org` })))
  return { est, a, b }
}

const encadrant = async (id: string) => (await database.db.select().from(encadrants).where(eq(encadrants.id, id)))[0]!

test('an establishment deleted while a batch gives it to an encadrant: that command alone is refused, 422 at /establishment_id; the others of the batch are applied', async () => {
  const { est, a, b } = await setUp()
  const deleting = held('profile.delete_establishment', { establishment_id: est })
  await deleting.applied()
  const batch = uow.run([
    item('profile.update_encadrant', { encadrant_id: a, fields: { phone: '+212600000001' } }),
    item('profile.update_encadrant', { encadrant_id: b, fields: { establishment_id: est } }),
    item('profile.create_establishment', { name: 'Clinique Atlas', city: 'Agadir' }),
  ])
  // The establishment is still there for the check; the row the key reads is locked by the deletion.
  await someoneWaits().finally(deleting.release)
  expect((await deleting.answer).status).toBe(200)

  const { outcomes } = await batch
  expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'applied', 'applied'])
  const stored = outcomes.map((o) => (o.kind === 'applied' ? o.stored : undefined))
  expect(stored.map((r) => r?.status)).toEqual([200, 422, 201])
  expect(stored[1]).toEqual({
    outcome: 'failed',
    status: 422,
    body: { error: 'UNPROCESSABLE', message: 'unknown establishment', problems: [{ path: '/establishment_id', message: 'no establishment with this id' }] },
  })
  expect(await encadrant(a)).toMatchObject({ phone: '+212600000001', establishmentId: null })
  expect((await encadrant(b)).establishmentId).toBeNull()
  expect(await database.db.select().from(establishments).where(eq(establishments.id, est))).toHaveLength(0)
})

test('an encadrant given an establishment while a deletion of it waits: the deletion answers 409, the encadrant keeps it', async () => {
  const { est, b } = await setUp()
  const giving = held('profile.update_encadrant', { encadrant_id: b, fields: { establishment_id: est } })
  await giving.applied()
  const deleting = uow.run([item('profile.delete_establishment', { establishment_id: est })])
  await someoneWaits().finally(giving.release)
  expect((await giving.answer).status).toBe(200)

  const [outcome] = (await deleting).outcomes
  expect(outcome).toMatchObject({ kind: 'applied', stored: { outcome: 'failed', status: 409 } })
  expect(JSON.stringify(outcome)).toContain('move them first')
  expect((await encadrant(b)).establishmentId).toBe(est)
  expect(await database.db.select().from(establishments).where(eq(establishments.id, est))).toHaveLength(1)
})
