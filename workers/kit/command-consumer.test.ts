import { afterAll, beforeAll, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { createCommandDispatcher, listDeadLetters, newId, silentLogger, TransientError, unprocessable, type CommandDispatcher, type CommandMessage, type QueueConsumer } from '../../core/index.ts'
import { evalRuntime } from '../../schemas/db/eval.ts'
import { waitFor } from '../../test/broker.ts'
import { openPieces, type WorkerPieces } from '../../test/worker-pieces.ts'
import { consumeCommands } from './command-consumer.ts'

let p: WorkerPieces
let consumer: QueueConsumer
let dispatcher: CommandDispatcher
/** The evaluations whose change was done outside the database, once per effect. */
const effects: string[] = []
/** Evaluations whose transaction fails once, after their effect was done (the database went away, say). */
const failOnce = new Set<string>()

beforeAll(async () => {
  p = await openPieces({ label: 'commands', service: 'eval', tables: evalRuntime })
  await p.database.db.execute(sql`create table eval.commands_ledger (stage_id text primary key, score real not null)`)
  consumer = consumeCommands(
    {
      'eval.create_evaluation': async (command, { tx }) => {
        await tx.execute(sql`insert into eval.commands_ledger (stage_id, score) values (${command.payload.stage_id}, ${command.payload.score})`)
        return { status: 201, body: { stage_id: command.payload.stage_id, score: command.payload.score } }
      },
      'eval.update_evaluation': {
        async effect(command) {
          if (command.payload.fields.score === 0) throw unprocessable('a score of 0 is refused here', [{ path: '/payload/fields/score', message: 'must not be 0' }])
          effects.push(command.payload.evaluation_id)
          return effects.length
        },
        async apply(command, done: number, { tx }) {
          if (failOnce.delete(command.payload.evaluation_id)) throw new TransientError('DATABASE_AWAY', 'the database went away')
          await tx.execute(sql`insert into eval.commands_ledger (stage_id, score) values (${command.payload.evaluation_id}, ${done})`)
          return { status: 200, body: { effect: done } }
        },
      },
    },
    { resources: p.resources, pipeline: p.pipeline, tables: evalRuntime, config: p.config, log: silentLogger },
  )
  await consumer.ready
  dispatcher = createCommandDispatcher({ connection: p.connection, namespace: p.namespace, waitMs: 5_000 })
})
afterAll(async () => {
  await dispatcher.close()
  await consumer.close()
  await p.close()
})

const command = (command_type: string, payload: Record<string, unknown>): CommandMessage => ({ command_id: newId(), command_type, correlation_id: null, actor: { user_id: crypto.randomUUID(), role: 'encadrant' }, payload })

test('a command is applied once and answered; sent again with its id, the stored answer comes back', async () => {
  const stageId = crypto.randomUUID()
  const sent = command('eval.create_evaluation', { stage_id: stageId, score: 15.5 })
  const first = await dispatcher.dispatch(sent)
  expect(first).toEqual({ kind: 'replied', reply: { command_id: sent.command_id, outcome: 'succeeded', status: 201, body: { stage_id: stageId, score: 15.5 } } })
  expect(await dispatcher.dispatch(sent)).toEqual(first)
  const rows = await p.database.db.execute(sql`select score from eval.commands_ledger where stage_id = ${stageId}`)
  expect([...rows]).toEqual([{ score: 15.5 }])
})

test('a payload that fails its schema is refused with 422 naming the field', async () => {
  const reply = await dispatcher.dispatch(command('eval.create_evaluation', { stage_id: crypto.randomUUID(), score: 13.1 }))
  expect(reply).toMatchObject({ kind: 'replied', reply: { outcome: 'failed', status: 422, body: { error: 'UNPROCESSABLE', problems: [{ path: '/payload/score' }] } } })
})

test('a command without a handler is set aside in the dead-letter queue, its operation failed first', async () => {
  const sent = command('eval.assign_grade', { stage_id: crypto.randomUUID() })
  // Nobody answers a command set aside: its sender is told it was accepted, and reads the failure later.
  const impatient = createCommandDispatcher({ connection: p.connection, namespace: p.namespace, waitMs: 200 })
  expect(await impatient.dispatch(sent)).toEqual({ kind: 'accepted' })
  await impatient.close()
  const { commandResults } = evalRuntime
  await waitFor(async () => (await listDeadLetters({ connection: p.connection, service: 'eval', namespace: p.namespace })).some((d) => d.messageId === sent.command_id), 5_000, 'the dead letter')
  const [result] = await p.database.db.select().from(commandResults).where(eq(commandResults.commandId, sent.command_id))
  expect(result).toMatchObject({ outcome: 'failed', httpStatus: 500, actorId: sent.actor.user_id, body: { error: 'COMMAND_FAILED' } })
})

test('an effect outside the database is done before the transaction, once: a command sent again is answered without it; its refusal is the answer', async () => {
  const evaluationId = crypto.randomUUID()
  const sent = command('eval.update_evaluation', { evaluation_id: evaluationId, fields: { score: 12 } })
  const first = await dispatcher.dispatch(sent)
  expect(first).toMatchObject({ kind: 'replied', reply: { outcome: 'succeeded', status: 200, body: { effect: 1 } } })
  expect(await dispatcher.dispatch(sent)).toEqual(first)
  expect(effects).toEqual([evaluationId])
  expect([...(await p.database.db.execute(sql`select score from eval.commands_ledger where stage_id = ${evaluationId}`))]).toEqual([{ score: 1 }])

  const refused = await dispatcher.dispatch(command('eval.update_evaluation', { evaluation_id: crypto.randomUUID(), fields: { score: 0 } }))
  expect(refused).toMatchObject({ kind: 'replied', reply: { outcome: 'failed', status: 422, body: { problems: [{ path: '/payload/fields/score', message: 'must not be 0' }] } } })
  expect(effects).toHaveLength(1)
})

test('a command whose transaction fails after its effect comes back and is applied with that effect, not doing it again', async () => {
  const evaluationId = crypto.randomUUID()
  failOnce.add(evaluationId)
  const before = effects.length
  const reply = await dispatcher.dispatch(command('eval.update_evaluation', { evaluation_id: evaluationId, fields: { score: 14 } }))
  expect(reply).toMatchObject({ kind: 'replied', reply: { outcome: 'succeeded', status: 200, body: { effect: before + 1 } } })
  expect(failOnce.has(evaluationId)).toBe(false)
  expect(effects.slice(before)).toEqual([evaluationId])
  expect([...(await p.database.db.execute(sql`select score from eval.commands_ledger where stage_id = ${evaluationId}`))]).toEqual([{ score: before + 1 }])
})
