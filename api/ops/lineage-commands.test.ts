import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, inArray } from 'drizzle-orm'
import { createCommandDispatcher, declareTopology, deleteTopology, Names, newId, parseConfig, SERVICES, type CommandDispatcher } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { auditEvents } from '../../schemas/db/ops.ts'
import { waitFor } from '../../test/broker.ts'
import { closedPort, jsonClient, startService, tokenFor, type Service } from '../../test/service.ts'
import { OpsSettings } from '../../workers/ops/settings.ts'
import { opsWorker } from '../../workers/ops/worker.ts'
import { opsApi } from './app.ts'

/**
 * The lineage of a command sent without a correlation id, as a tool sends
 * one: the ops worker applies it, its event is audited, and the ops API finds
 * the tree from the command's id alone.
 */
let s: Service
let admin: ReturnType<typeof jsonClient>
let dispatcher: CommandDispatcher
const operator = crypto.randomUUID()

beforeAll(async () => {
  const away = `http://127.0.0.1:${await closedPort()}`
  const workerPort = await closedPort()
  const urls = Object.fromEntries(SERVICES.map((x) => [`${x.toUpperCase()}_WORKER_URL`, x === 'ops' ? `http://127.0.0.1:${workerPort}` : away]))
  s = await startService({ label: 'ops_lineage_cmd', api: opsApi, worker: opsWorker(parseConfig(OpsSettings, {})), env: { PORT: String(workerPort) }, apiEnv: { ...urls, PORT: '0', WORKER_TIMEOUT_MS: '500' } })
  // eval's dead-letter queue, for the operator's command to purge.
  await declareTopology(s.connection, { namespace: s.namespace, services: ['eval'], retryTiers: [], commands: commandBindings() })
  dispatcher = createCommandDispatcher({ connection: s.connection, namespace: s.namespace, waitMs: 5_000 })
  admin = jsonClient(s.url('/ops/api'), tokenFor('admin'))
}, 30_000)

afterAll(async () => {
  await dispatcher.close()
  await deleteTopology(s.connection, { namespace: s.namespace, services: ['eval'], retryTiers: [], commands: commandBindings() })
  await s.close()
}, 30_000)

/** Publishes envelopes on the events exchange as they are, each under its type. */
async function publish(envelopes: Record<string, unknown>[]) {
  const raw = s.connection.createPublisher({ confirm: true })
  const exchange = new Names(s.namespace).events
  for (const e of envelopes) {
    await raw.send({ exchange, routingKey: e.event_type as string, messageId: e.event_id as string, type: e.event_type as string, durable: true, contentType: 'application/json' }, { version: '1.0', timestamp: new Date().toISOString(), ...e })
    await Bun.sleep(5)
  }
  await raw.close()
}

const auditedCausedBy = async (id: string) => s.database.db.select().from(auditEvents).where(eq(auditEvents.causationId, id))

describe('GET /ops/api/lineage/:id of a command sent without a correlation id', () => {
  test('from the command id, commas in it or not: the command at the root, the event it caused under it, the ops worker as the one that applied each', async () => {
    for (const commandId of [newId(), `purge,eval,${newId()}`]) {
      const reply = await dispatcher.dispatch({ command_id: commandId, command_type: 'ops.purge_dead_letters', correlation_id: null, actor: { user_id: operator, role: 'admin' }, payload: { service: 'eval', all: true } })
      expect(reply).toMatchObject({ kind: 'replied', reply: { outcome: 'succeeded' } })
      await waitFor(async () => (await auditedCausedBy(commandId)).length === 1, 5_000, 'the purge event audited')
      const [purged] = await auditedCausedBy(commandId)

      const res = await admin.get(`/lineage/${encodeURIComponent(commandId)}`)
      expect(res.status).toBe(200)
      // The worker gave its event the command's id as its correlation.
      expect(res.body).toMatchObject({ id: commandId, correlation_id: commandId, unreachable: ['auth', 'profile', 'core', 'comm', 'eval'] })
      expect(res.body.roots).toEqual([
        {
          id: commandId,
          kind: 'command',
          type: 'ops.purge_dead_letters',
          producer: 'ops-api',
          occurred_at: null,
          consumers: [{ service: 'ops', received_at: expect.any(String) }],
          children: [{ id: purged!.eventId, kind: 'event', type: 'dead_letters.purged', producer: 'ops-service', occurred_at: purged!.occurredAt.toISOString(), consumers: [{ service: 'ops', received_at: expect.any(String) }], children: [] }],
        },
      ])
    }
  })

  test('from the command id, when the events it caused carry no correlation id either (an older producer): every event it caused under it, and theirs under them', async () => {
    const commandId = newId()
    const [accepted, started, notified] = [newId(), newId(), newId()]
    const stage = crypto.randomUUID()
    // What a producer that leaves the correlation out publishes of one command, and what the kit emits in answer to its first event.
    await publish([
      { event_id: accepted, event_type: 'stage.accepted', service: 'core-service', correlation_id: null, causation_id: commandId, causation_type: 'core.move_stage', payload: { stage_id: stage } },
      { event_id: started, event_type: 'stage.started', service: 'core-service', correlation_id: null, causation_id: commandId, causation_type: 'core.move_stage', payload: { stage_id: stage } },
      { event_id: notified, event_type: 'notification.created', service: 'comm-service', correlation_id: accepted, causation_id: accepted, payload: { stage_id: stage } },
    ])
    await waitFor(async () => (await s.database.db.select().from(auditEvents).where(inArray(auditEvents.eventId, [accepted, started, notified]))).length === 3, 5_000, 'the three events audited')

    const shape = (n: { id: string; kind: string; type: string | null; children: unknown[] }): unknown => ({ id: n.id, kind: n.kind, type: n.type, children: (n.children as never[]).map(shape) })
    const tree = [
      {
        id: commandId,
        kind: 'command',
        type: 'core.move_stage',
        children: [
          { id: accepted, kind: 'event', type: 'stage.accepted', children: [{ id: notified, kind: 'event', type: 'notification.created', children: [] }] },
          { id: started, kind: 'event', type: 'stage.started', children: [] },
        ],
      },
    ]
    for (const id of [commandId, started, notified]) {
      const res = await admin.get(`/lineage/${id}`)
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ id, correlation_id: null })
      expect(res.body.roots.map(shape)).toEqual(tree)
    }
  })
})
