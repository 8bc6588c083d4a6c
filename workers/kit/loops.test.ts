import { afterAll, beforeAll, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { buildEnvelope, createLogger, silentLogger } from '../../core/index.ts'
import { evalRuntime } from '../../schemas/db/eval.ts'
import { tapEvents, waitFor } from '../../test/broker.ts'
import { openPieces, type WorkerPieces } from '../../test/worker-pieces.ts'
import { repeat, startHousekeeping, startTasks } from './loops.ts'

let p: WorkerPieces
beforeAll(async () => {
  p = await openPieces({ label: 'loops', service: 'eval', tables: evalRuntime })
})
afterAll(() => p.close())

test('repeat: rounds follow one another, a failing round is logged and the next comes; stopping waits for the round in hand', async () => {
  const warnings: string[] = []
  const log = createLogger({ service: 'loops-test', sink: (line) => warnings.push(line) })
  let rounds = 0
  let inHand = false
  const stop = repeat(
    10,
    async () => {
      rounds++
      inHand = true
      await new Promise((r) => setTimeout(r, 20))
      inHand = false
      if (rounds === 2) throw new Error('round two broke')
    },
    { what: 'the test loop', log, now: true },
  )
  await waitFor(() => rounds >= 4, 2_000, 'four rounds')
  await stop()
  expect(inHand).toBe(false)
  const after = rounds
  await new Promise((r) => setTimeout(r, 50))
  expect(rounds).toBe(after)
  expect(warnings.some((l) => l.includes('the test loop failed') && l.includes('round two broke'))).toBe(true)
})

test('a background loop applies its work like a message: once per id, its events published', async () => {
  const tap = await tapEvents(p.connection, p.namespace, 'stage.completed')
  const answers: string[] = []
  const stageId = crypto.randomUUID()
  const stop = startTasks(
    [
      (ctx) => {
        const work = async () => {
          for (let i = 0; i < 2; i++) answers.push(await ctx.apply(`close:${stageId}`, async ({ emit }) => void emit('stage.completed', { stage_id: stageId, completion_date: '2026-12-01' })))
        }
        const running = work()
        return () => running
      },
    ],
    { db: p.resources.db, pipeline: p.pipeline, log: silentLogger },
  )
  await stop()
  expect(answers).toEqual(['applied', 'duplicate'])
  await waitFor(() => tap.envelopes().length === 1, 5_000, 'one event')
  expect(tap.envelopes()[0]!.payload).toEqual({ stage_id: stageId, completion_date: '2026-12-01' })
  await tap.close()
})

test('housekeeping: the relay publishes outbox rows left unsent and marks them sent; once stopped, it publishes no more', async () => {
  const tap = await tapEvents(p.connection, p.namespace, 'stage.started')
  const leftUnsent = async () => {
    const envelope = buildEnvelope({ type: 'stage.started', payload: { stage_id: crypto.randomUUID(), actual_start_date: '2026-12-01' }, version: '1.0', service: 'eval-service' })
    await p.database.db.execute(sql`insert into eval.outbox (event_id, event_type, envelope, created_at) values (${envelope.event_id}, ${envelope.event_type}, ${JSON.stringify(envelope)}::jsonb, now() - interval '1 minute')`)
    return envelope.event_id
  }
  const sent = async (id: string) => ((await p.database.db.execute(sql`select 1 from eval.outbox where event_id = ${id} and sent_at is not null`)) as unknown[]).length === 1
  const first = await leftUnsent()
  const stop = startHousekeeping(p.pipeline, p.config, silentLogger)
  await waitFor(() => tap.envelopes().some((e) => e.event_id === first), 5_000, 'the relayed event')
  await waitFor(() => sent(first), 2_000, 'marked sent')
  await stop()
  const second = await leftUnsent()
  await new Promise((r) => setTimeout(r, 3 * p.config.RELAY_INTERVAL_MS))
  expect(tap.envelopes().some((e) => e.event_id === second)).toBe(false)
  expect(await sent(second)).toBe(false)
  await tap.close()
})
