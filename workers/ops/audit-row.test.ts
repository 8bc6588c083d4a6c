import { expect, test } from 'bun:test'
import type { AsyncMessage } from 'rabbitmq-client'
import { buildEnvelope, HEADER } from '../../core/index.ts'
import { auditRow, entityIds, MAX_ENTITY_IDS } from './audit-row.ts'

const id = () => crypto.randomUUID()

test('entity ids: every UUID among the values at any depth, in lower case, once each; keys, other strings and numbers are not ids', () => {
  const [a, b, c] = [id(), id(), id()]
  const payload = { stage_id: a, nested: { list: [{ ref: b.toUpperCase() }, [[c]]], [id()]: 'a key is not a value' }, again: a, label: `${a} and more`, n: 7, none: null }
  expect(entityIds(payload)).toEqual([a, b, c])
  expect(entityIds(Array.from({ length: MAX_ENTITY_IDS + 5 }, id))).toHaveLength(MAX_ENTITY_IDS)
})

test('a message that came back through a retry: the headers it gained on the way are not kept, and its routing key is its type', () => {
  const event = buildEnvelope({ type: 'stage.started', payload: { stage_id: id(), actual_start_date: '2026-12-01' }, version: '1.0', service: 'core-service' })
  const message = {
    body: event,
    deliveryTag: 9,
    consumerTag: 'c',
    redelivered: false,
    exchange: 'ns.ops.retry',
    routingKey: 'ns.ops.retry.1s',
    messageId: event.event_id,
    contentType: 'application/json',
    headers: { 'x-trace': 't-1', [HEADER.attempts]: 1, [HEADER.originalQueue]: 'ns.ops.events', [HEADER.error]: 'timed out', 'x-death': [{ queue: 'ns.ops.retry.1s' }] },
  } as unknown as AsyncMessage
  const row = auditRow(event, message)
  expect(row).toMatchObject({ routingKey: 'stage.started', envelope: event, headers: { messageId: event.event_id, contentType: 'application/json', headers: { 'x-trace': 't-1' } } })
  expect(row.headers).not.toHaveProperty('deliveryTag')
  expect(auditRow(event, { ...message, exchange: 'ns.medtrack.events', routingKey: 'legacy.stage_started', headers: { 'x-trace': 't-1' } } as AsyncMessage).routingKey).toBe('legacy.stage_started')
})
