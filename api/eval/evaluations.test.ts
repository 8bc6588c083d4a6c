import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { evaluations, grades } from '../../schemas/db/eval.ts'
import { startEvalService, type EvalService } from './test-service.ts'

let s: EvalService
const admin = () => s.as('admin')

beforeAll(async () => {
  s = await startEvalService('eval_flow')
})
afterAll(async () => {
  await s.close()
})

describe('a stage from completion to the transcript', () => {
  test('completed → pending evaluation for the encadrant → submitted → evaluation.created → updated → graded with the mean → grade.assigned → locked → transcript', async () => {
    const encadrant = await s.encadrant()
    const student = await s.student()
    const stage = await s.stage(student, encadrant, 'completed')
    const supervisor = s.as('encadrant', encadrant.user_id)
    const self = s.as('student', student.user_id)

    // The completion opened one evaluation for the stage's encadrant to write; the student sees nothing yet.
    const pending = await supervisor.get('/evaluations?status=pending')
    expect(pending.status).toBe(200)
    expect(pending.body).toEqual({
      items: [
        {
          id: expect.any(String),
          stage_id: stage.stage_id,
          student_id: student.student_id,
          evaluator_id: encadrant.user_id,
          evaluator_role: 'encadrant',
          status: 'pending',
          score: null,
          criteria: [],
          comment: null,
          created_at: expect.any(String),
          updated_at: expect.any(String),
          submitted_at: null,
        },
      ],
      page: 1,
      per_page: 20,
      total: 1,
    })
    const pendingId = pending.body.items[0].id
    expect(await self.get('/evaluations')).toEqual({ status: 200, body: { items: [], page: 1, per_page: 20, total: 0 } })
    expect((await self.get(`/evaluations/${pendingId}`)).status).toBe(404)

    // The encadrant submits it: the pending evaluation is filled, not a second one made.
    const criteria = [
      { name: 'clinical reasoning', score: 16.5 },
      { name: 'professionalism', score: 15.75 },
    ]
    const submitted = await supervisor.post('/evaluations', { stage_id: stage.stage_id, score: 16, criteria, comment: 'A careful, reliable intern.' })
    expect(submitted.status).toBe(201)
    expect(submitted.body).toMatchObject({ id: pendingId, status: 'submitted', score: 16, criteria, comment: 'A careful, reliable intern.', submitted_at: expect.any(String) })
    const created = await s.waitForEvent('evaluation.created', (p) => p.evaluation_id === pendingId)
    expect(created.payload).toEqual({ evaluation_id: pendingId, stage_id: stage.stage_id, student_id: student.student_id, score: 16, encadrant_id: encadrant.encadrant_id })
    expect(created.service).toBe('eval-service')
    expect(await s.evaluationsOf(stage.stage_id)).toHaveLength(1)

    // Submitted, the student reads it; the list and the one answer alike.
    const theirs = await self.get('/evaluations')
    expect(theirs.body.items).toEqual([submitted.body])
    expect(await self.get(`/evaluations/${pendingId}`)).toEqual({ status: 200, body: submitted.body })
    expect((await supervisor.get('/evaluations?status=pending')).body.items).toEqual([])

    // An admin evaluates the same stage too: one evaluation per evaluator.
    const byAdmin = await admin().post('/evaluations', { stage_id: stage.stage_id, score: 14 })
    expect(byAdmin.status).toBe(201)
    expect(byAdmin.body).toMatchObject({ evaluator_role: 'admin', score: 14, criteria: [], comment: null })
    const byAdminEvent = await s.waitForEvent('evaluation.created', (p) => p.evaluation_id === byAdmin.body.id)
    expect(byAdminEvent.payload).toEqual({ evaluation_id: byAdmin.body.id, stage_id: stage.stage_id, student_id: student.student_id, score: 14 })

    // The encadrant changes theirs: evaluation.updated with the new score.
    const changed = await supervisor.patch(`/evaluations/${pendingId}`, { score: 16.25, comment: null })
    expect(changed.status).toBe(200)
    expect(changed.body).toMatchObject({ id: pendingId, score: 16.25, criteria, comment: null })
    const updated = await s.waitForEvent('evaluation.updated', (p) => p.evaluation_id === pendingId)
    expect(updated.payload).toEqual({ evaluation_id: pendingId, new_score: 16.25, stage_id: stage.stage_id, student_id: student.student_id })
    // The same values again change nothing and announce nothing.
    expect(await supervisor.patch(`/evaluations/${pendingId}`, { score: 16.25 })).toEqual({ status: 200, body: changed.body })

    // The grade is the mean of the two, 15.125, rounded to the nearest 0.25.
    const graded = await admin().post('/grades', { stage_id: stage.stage_id })
    expect(graded.status).toBe(201)
    expect(graded.body).toEqual({ stage_id: stage.stage_id, student_id: student.student_id, final_grade: 15.25, assigned_by: expect.any(String), assigned_at: expect.any(String) })
    const assigned = await s.waitForEvent('grade.assigned', (p) => p.stage_id === stage.stage_id)
    expect(assigned.payload).toEqual({ student_id: student.student_id, stage_id: stage.stage_id, final_grade: 15.25 })
    expect(await s.service.database.db.select().from(grades).where(eq(grades.stageId, stage.stage_id))).toEqual([expect.objectContaining({ finalGrade: 15.25 })])

    // Graded, its evaluations are final.
    const locked = await supervisor.patch(`/evaluations/${pendingId}`, { score: 20 })
    expect(locked.status).toBe(409)
    expect(locked.body).toMatchObject({ error: 'GRADE_ASSIGNED' })
    expect((await admin().patch(`/evaluations/${byAdmin.body.id}`, { score: 20 })).body.error).toBe('GRADE_ASSIGNED')
    const [row] = await s.service.database.db.select().from(evaluations).where(eq(evaluations.id, pendingId))
    expect(row!.score).toBe(16.25)
    expect(s.seen('evaluation.updated', (p) => p.evaluation_id === pendingId)).toHaveLength(1)

    // A second stage, graded with the grade given: the transcript has both and their mean.
    const second = await s.stage(student, encadrant, 'completed')
    expect((await supervisor.post('/evaluations', { stage_id: second.stage_id, score: 11.5 })).status).toBe(201)
    const given = await admin().post('/grades', { stage_id: second.stage_id, final_grade: 12 })
    expect(given.body.final_grade).toBe(12)

    const transcript = await self.get('/grades')
    expect(transcript).toEqual({
      status: 200,
      body: {
        student_id: student.student_id,
        stages: [
          { stage_id: stage.stage_id, offer_id: stage.offer_id, establishment_id: stage.establishment_id, encadrant_id: encadrant.encadrant_id, completed_on: '2026-11-30', final_grade: 15.25, assigned_at: graded.body.assigned_at },
          { stage_id: second.stage_id, offer_id: second.offer_id, establishment_id: second.establishment_id, encadrant_id: encadrant.encadrant_id, completed_on: '2026-11-30', final_grade: 12, assigned_at: given.body.assigned_at },
        ],
        mean: 13.63,
      },
    })
    expect(await self.get(`/grades?student_id=${student.student_id}`)).toEqual(transcript)
    expect(await supervisor.get(`/grades?student_id=${student.student_id}`)).toEqual(transcript)
    expect(await admin().get(`/grades?student_id=${student.student_id}`)).toEqual(transcript)
  })

  test('the transcript: another student, an encadrant who never supervised them → 403; before any grade it is empty', async () => {
    const encadrant = await s.encadrant()
    const student = await s.student()
    await s.stage(student, encadrant, 'started')
    expect(await s.as('student', student.user_id).get('/grades')).toEqual({ status: 200, body: { student_id: student.student_id, stages: [], mean: null } })
    expect((await s.as('encadrant', encadrant.user_id).get(`/grades?student_id=${student.student_id}`)).status).toBe(200)

    const other = await s.student()
    const stranger = await s.encadrant()
    for (const caller of [s.as('student', other.user_id), s.as('encadrant', stranger.user_id), s.as('encadrant')]) {
      const refused = await caller.get(`/grades?student_id=${student.student_id}`)
      expect(refused.status).toBe(403)
      expect(refused.body.error).toBe('FORBIDDEN')
    }
    expect((await s.anonymous.get(`/grades?student_id=${student.student_id}`)).status).toBe(401)
  })
})

test('/eval/api/docs/json documents every route with its body, query and params', async () => {
  const res = await fetch(s.service.url('/eval/api/docs/json'))
  expect(res.status).toBe(200)
  const doc = await res.json()
  expect(doc.info.title).toContain('eval')
  const paths = doc.paths
  expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/eval/api/evaluations', '/eval/api/evaluations/{id}', '/eval/api/grades']))
  const created = paths['/eval/api/evaluations'].post.requestBody.content['application/json'].schema
  expect(created.required).toEqual(['stage_id', 'score'])
  expect(created.properties.score).toMatchObject({ type: 'number', minimum: 0, maximum: 20, multipleOf: 0.25 })
  expect(created.properties.criteria.items.properties.score).toMatchObject({ multipleOf: 0.25 })
  expect(Object.keys(paths['/eval/api/evaluations/{id}'].patch.requestBody.content['application/json'].schema.properties)).toEqual(['score', 'criteria', 'comment'])
  expect(paths['/eval/api/evaluations'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['page', 'per_page', 'stage_id', 'student_id', 'status'])
  expect(Object.keys(paths['/eval/api/grades'].post.requestBody.content['application/json'].schema.properties)).toEqual(['stage_id', 'final_grade'])
  expect(paths['/eval/api/grades'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['student_id'])
  for (const [path, methods] of Object.entries(paths as Record<string, Record<string, { summary?: string }>>)) {
    if (path.includes('/evaluations') || path.includes('/grades')) for (const op of Object.values(methods)) expect(op.summary).toBeTruthy()
  }
})
