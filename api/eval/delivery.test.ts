import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { waitFor } from '../../test/broker.ts'
import { startEvalService, type EvalService, type Encadrant, type Stage, type Student } from './test-service.ts'

const TIERS = [200, 400, 800, 1_600, 3_200]
let s: EvalService
let encadrant: Encadrant
let student: Student

beforeAll(async () => {
  s = await startEvalService('eval_delivery', { RETRY_TIERS: TIERS.join(',') })
  encadrant = await s.encadrant()
  student = await s.student()
})
afterAll(async () => {
  await s.close()
})

const metric = async (type: string, outcome: string) => {
  const line = (await s.service.worker!.metrics.render()).split('\n').find((l) => l.startsWith(`medtrack_messages_total{queue="events",type="${type}",outcome="${outcome}"}`))
  return line ? Number(line.split(' ').pop()) : 0
}

const newStage = (): Stage => ({ stage_id: crypto.randomUUID(), student, encadrant, offer_id: crypto.randomUUID(), establishment_id: crypto.randomUUID() })

describe('the stage read model', () => {
  test('events in any order: the status only moves forward, each event adds what it carries, an unknown stage is created from its extras', async () => {
    const stage = newStage()
    await s.publish('stage.started', { stage_id: stage.stage_id, actual_start_date: '2026-09-02' })
    await waitFor(async () => (await s.stageRow(stage.stage_id))?.status === 'started', 10_000, 'the stage created by stage.started')
    expect(await s.stageRow(stage.stage_id)).toMatchObject({ status: 'started', studentId: null, encadrantId: null, startedOn: '2026-09-02' })

    const before = await metric('stage.created', 'handled')
    await s.publish(s.stageEvent(stage, 'created').type, s.stageEvent(stage, 'created').payload)
    await waitFor(async () => (await metric('stage.created', 'handled')) > before, 10_000, 'the late stage.created')
    expect(await s.stageRow(stage.stage_id)).toMatchObject({
      status: 'started',
      studentId: student.student_id,
      offerId: stage.offer_id,
      establishmentId: stage.establishment_id,
      startDate: '2026-09-01',
      endDate: '2026-11-30',
      startedOn: '2026-09-02',
    })
  })

  test('a stage cancelled, then a stale stage.completed: it stays cancelled and opens no evaluation', async () => {
    const stage = newStage()
    await s.publish('stage.cancelled', { stage_id: stage.stage_id, student_id: student.student_id, encadrant_id: encadrant.encadrant_id, reason: 'the student moved' })
    await waitFor(async () => (await s.stageRow(stage.stage_id))?.status === 'cancelled', 10_000, 'the stage cancelled')
    const before = await metric('stage.completed', 'handled')
    await s.publish(s.stageEvent(stage, 'completed').type, s.stageEvent(stage, 'completed').payload)
    await waitFor(async () => (await metric('stage.completed', 'handled')) > before, 10_000, 'stage.completed handled')
    expect(await s.stageRow(stage.stage_id)).toMatchObject({ status: 'cancelled', cancelReason: 'the student moved' })
    expect(await s.evaluationsOf(stage.stage_id)).toEqual([])
  })
})

describe('stage.completed', () => {
  test('published before the stage.accepted it needs: retried, not dead-lettered, and the evaluation opens once the accepted event arrives', async () => {
    const stage = newStage()
    await s.publish('stage.created', s.stageEvent(stage, 'created').payload)
    await waitFor(async () => (await s.stageRow(stage.stage_id))?.status === 'created', 10_000, 'the stage created')
    // As a seed publisher would send it: no encadrant, which only stage.accepted brings.
    const retried = await metric('stage.completed', 'retried')
    await s.publish('stage.completed', { stage_id: stage.stage_id, completion_date: '2026-11-30' })
    await waitFor(async () => (await metric('stage.completed', 'retried')) > retried, 10_000, 'stage.completed retried')
    expect(await s.stageRow(stage.stage_id)).toMatchObject({ status: 'created', completedOn: null })
    expect(await s.evaluationsOf(stage.stage_id)).toEqual([])

    await s.publish('stage.accepted', { stage_id: stage.stage_id, student_id: student.student_id, encadrant_id: encadrant.encadrant_id })
    await waitFor(async () => (await s.evaluationsOf(stage.stage_id)).length === 1, 15_000, 'the pending evaluation')
    expect(await s.evaluationsOf(stage.stage_id)).toEqual([expect.objectContaining({ status: 'pending', evaluatorId: encadrant.user_id, studentId: student.student_id })])
    expect(await s.stageRow(stage.stage_id)).toMatchObject({ status: 'completed', completedOn: '2026-11-30', encadrantId: encadrant.encadrant_id })
    expect(await s.service.deadLetters()).toEqual([])
    const listed = await s.as('encadrant', encadrant.user_id).get(`/evaluations?status=pending&stage_id=${stage.stage_id}`)
    expect(listed.body.total).toBe(1)
  })

  test('an encadrant eval has not heard of yet: retried until their encadrant.created arrives', async () => {
    const late: Encadrant = { encadrant_id: crypto.randomUUID(), user_id: crypto.randomUUID() }
    const stage = { ...newStage(), encadrant: late }
    const retried = await metric('stage.completed', 'retried')
    await s.publish('stage.completed', s.stageEvent(stage, 'completed').payload)
    await waitFor(async () => (await metric('stage.completed', 'retried')) > retried, 10_000, 'stage.completed retried')
    await s.publish('encadrant.created', { ...late, email: `late-${late.encadrant_id.slice(0, 8)}@example.org` })
    await waitFor(async () => (await s.evaluationsOf(stage.stage_id)).length === 1, 15_000, 'the pending evaluation')
    expect((await s.evaluationsOf(stage.stage_id))[0]).toMatchObject({ evaluatorId: late.user_id, status: 'pending' })
    expect(await s.service.deadLetters()).toEqual([])
  })

  test('the worker stopped while 3 stages complete (each completion delivered twice): started again, 3 pending evaluations, once each', async () => {
    await s.service.worker!.close()
    const stages = [newStage(), newStage(), newStage()]
    for (const stage of stages) {
      for (const step of ['created', 'accepted', 'started', 'completed'] as const) {
        const { type, payload } = s.stageEvent(stage, step)
        const sent = await s.publish(type, payload)
        // The same event again, as a redelivery would bring it; and the completion published twice.
        if (step === 'completed') {
          await s.publish(type, payload, sent.event_id)
          await s.publish(type, payload)
        }
      }
    }
    await Bun.sleep(300)
    for (const stage of stages) expect(await s.stageRow(stage.stage_id)).toBeUndefined()

    await s.service.startWorker()
    for (const stage of stages) await waitFor(async () => (await s.evaluationsOf(stage.stage_id)).length === 1, 15_000, 'the pending evaluation')
    await waitFor(async () => (await s.service.handled('stage.completed')) === 9, 15_000, 'every completion handled')
    await Bun.sleep(300)
    for (const stage of stages) {
      expect(await s.evaluationsOf(stage.stage_id)).toEqual([expect.objectContaining({ status: 'pending', evaluatorId: encadrant.user_id })])
      expect(await s.stageRow(stage.stage_id)).toMatchObject({ status: 'completed' })
    }
    const pending = await s.as('encadrant', encadrant.user_id).get('/evaluations?status=pending&per_page=100')
    expect(pending.body.items.map((e: any) => e.stage_id)).toEqual(expect.arrayContaining(stages.map((st) => st.stage_id)))
    expect(await s.service.deadLetters()).toEqual([])
  })
})

describe('the directories', () => {
  test('encadrant.updated naming the account introduces an encadrant eval missed; student.deleted stops the student reading their evaluations', async () => {
    const missed: Encadrant = { encadrant_id: crypto.randomUUID(), user_id: crypto.randomUUID() }
    await s.publish('encadrant.updated', { encadrant_id: missed.encadrant_id, updated_fields: ['phone'], user_id: missed.user_id })
    const other = await s.student()
    const stage = await s.stage(other, missed, 'completed')
    const { body: evaluation } = await s.as('encadrant', missed.user_id).post('/evaluations', { stage_id: stage.stage_id, score: 17 })
    const self = s.as('student', other.user_id)
    expect((await self.get(`/evaluations/${evaluation.id}`)).status).toBe(200)

    await s.publish('student.deleted', { student_id: other.student_id, user_id: other.user_id })
    await waitFor(async () => (await self.get(`/evaluations/${evaluation.id}`)).status === 404, 10_000, 'the student forgotten')
    expect((await self.get('/evaluations')).body.total).toBe(0)
    expect((await s.as('admin').get(`/evaluations/${evaluation.id}`)).status).toBe(200)
  })
})
