import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { problemPaths, startEvalService, type EvalService, type Encadrant, type Student } from './test-service.ts'

let s: EvalService
let encadrant: Encadrant
let student: Student
const admin = () => s.as('admin')

beforeAll(async () => {
  s = await startEvalService('eval_refusals')
  encadrant = await s.encadrant()
  student = await s.student()
})
afterAll(async () => {
  await s.close()
})

describe('POST /evaluations refused', () => {
  test('a student (403), no token (401), another encadrant of another stage (403), an unknown stage (404 naming /stage_id)', async () => {
    const stage = await s.stage(student, encadrant, 'completed')
    const body = { stage_id: stage.stage_id, score: 12 }
    const byStudent = await s.as('student', student.user_id).post('/evaluations', body)
    expect(byStudent.status).toBe(403)
    expect(byStudent.body).toEqual({ error: 'FORBIDDEN', message: 'this needs the role admin or encadrant' })
    expect((await s.anonymous.post('/evaluations', body)).status).toBe(401)

    const other = await s.encadrant()
    await s.stage(student, other, 'completed')
    const byOther = await s.as('encadrant', other.user_id).post('/evaluations', body)
    expect(byOther.status).toBe(403)
    expect(byOther.body).toEqual({ error: 'FORBIDDEN', message: "only the stage's encadrant or an admin evaluates a stage" })
    // An encadrant eval has never heard of is nobody's encadrant.
    expect((await s.as('encadrant').post('/evaluations', body)).status).toBe(403)

    const unknown = await admin().post('/evaluations', { stage_id: crypto.randomUUID(), score: 12 })
    expect(unknown.status).toBe(404)
    expect(unknown.body).toEqual({ error: 'NOT_FOUND', message: 'stage not found', problems: [{ path: '/stage_id', message: 'no such stage' }] })
    expect(await s.evaluationsOf(stage.stage_id)).toEqual([expect.objectContaining({ status: 'pending', evaluatorId: encadrant.user_id })])
  })

  test('a stage not completed: 409 naming its status, for its encadrant and an admin alike', async () => {
    const started = await s.stage(student, encadrant, 'started')
    for (const caller of [s.as('encadrant', encadrant.user_id), admin()]) {
      const refused = await caller.post('/evaluations', { stage_id: started.stage_id, score: 12 })
      expect(refused.status).toBe(409)
      expect(refused.body).toEqual({
        error: 'STAGE_NOT_COMPLETED',
        message: 'the stage is started: only a completed stage is evaluated',
        problems: [{ path: '/stage_id', message: 'the stage is started, not completed' }],
      })
    }
    // A stage only created has no encadrant yet: an admin is told its status.
    const created = await s.stage(student, encadrant, 'created')
    expect((await admin().post('/evaluations', { stage_id: created.stage_id, score: 12 })).body.message).toContain('the stage is created')
    expect(await s.evaluationsOf(started.stage_id)).toEqual([])
  })

  test('a second evaluation of the same stage by the same evaluator: 409, the first kept', async () => {
    const stage = await s.stage(student, encadrant, 'completed')
    const supervisor = s.as('encadrant', encadrant.user_id)
    const first = await supervisor.post('/evaluations', { stage_id: stage.stage_id, score: 13 })
    expect(first.status).toBe(201)
    const again = await supervisor.post('/evaluations', { stage_id: stage.stage_id, score: 18 })
    expect(again.status).toBe(409)
    expect(again.body).toEqual({
      error: 'EVALUATION_EXISTS',
      message: `you already evaluated this stage: change evaluation ${first.body.id} instead`,
      problems: [{ path: '/stage_id', message: 'already evaluated by you' }],
    })
    const adminId = crypto.randomUUID()
    expect((await s.as('admin', adminId).post('/evaluations', { stage_id: stage.stage_id, score: 10 })).status).toBe(201)
    expect((await s.as('admin', adminId).post('/evaluations', { stage_id: stage.stage_id, score: 10 })).status).toBe(409)
    expect((await s.evaluationsOf(stage.stage_id)).map((e) => e.score).sort()).toEqual([10, 13])
  })

  test('scores of 21, 13.1 and -1, at the top or in a criterion: 422 naming the field; nothing sent', async () => {
    const stage = await s.stage(student, encadrant, 'completed')
    const supervisor = s.as('encadrant', encadrant.user_id)
    for (const bad of [21, 13.1, -1, '12', null]) {
      const top = await supervisor.post('/evaluations', { stage_id: stage.stage_id, score: bad })
      expect(top.status).toBe(422)
      expect(top.body.error).toBe('VALIDATION_FAILED')
      expect(problemPaths(top)).toEqual(['/score'])
      const criterion = await supervisor.post('/evaluations', { stage_id: stage.stage_id, score: 12, criteria: [{ name: 'history taking', score: bad }] })
      expect(criterion.status).toBe(422)
      expect(problemPaths(criterion)).toEqual(['/criteria/0/score'])
    }
    const blank = await supervisor.post('/evaluations', { stage_id: 'nope', criteria: [{ name: ' ', score: 1 }], comment: '' })
    expect(blank.status).toBe(422)
    expect(problemPaths(blank)).toEqual(expect.arrayContaining(['/stage_id', '/score', '/criteria/0/name', '/comment']))
    // Every step of 0.25 is a score, 0 and 20 included.
    const edge = await supervisor.post('/evaluations', { stage_id: stage.stage_id, score: 20, criteria: [{ name: 'a', score: 0 }, { name: 'b', score: 13.75 }] })
    expect(edge.status).toBe(201)
    expect(edge.body).toMatchObject({ score: 20, criteria: [{ name: 'a', score: 0 }, { name: 'b', score: 13.75 }] })
  })
})

describe('PATCH /evaluations/:id refused', () => {
  test('a student (403), another encadrant or an unknown id (404), a pending evaluation (409), bad scores (422)', async () => {
    const stage = await s.stage(student, encadrant, 'completed')
    const [pending] = await s.evaluationsOf(stage.stage_id)
    const supervisor = s.as('encadrant', encadrant.user_id)
    const stillPending = await supervisor.patch(`/evaluations/${pending!.id}`, { score: 12 })
    expect(stillPending.status).toBe(409)
    expect(stillPending.body).toEqual({ error: 'EVALUATION_PENDING', message: 'the evaluation is pending: submit it first (POST /evaluations)' })

    const { body: evaluation } = await supervisor.post('/evaluations', { stage_id: stage.stage_id, score: 12 })
    const path = `/evaluations/${evaluation.id}`
    expect((await s.as('student', student.user_id).patch(path, { score: 13 })).status).toBe(403)
    expect((await s.as('encadrant', (await s.encadrant()).user_id).patch(path, { score: 13 })).status).toBe(404)
    expect((await admin().patch(`/evaluations/${crypto.randomUUID()}`, { score: 13 })).status).toBe(404)
    const bad = await supervisor.patch(path, { score: 13.1, criteria: [{ name: 'x', score: 21 }] })
    expect(bad.status).toBe(422)
    expect(problemPaths(bad)).toEqual(['/score', '/criteria/0/score'])
    expect((await supervisor.get(path)).body.score).toBe(12)
  })
})

describe('POST /grades refused', () => {
  test('not an admin (403), an unknown stage (404), no submitted evaluation yet (409), a second grade (409)', async () => {
    const stage = await s.stage(student, encadrant, 'completed')
    for (const caller of [s.as('encadrant', encadrant.user_id), s.as('student', student.user_id)]) {
      expect((await caller.post('/grades', { stage_id: stage.stage_id })).status).toBe(403)
    }
    const unknown = await admin().post('/grades', { stage_id: crypto.randomUUID() })
    expect(unknown.status).toBe(404)
    expect(problemPaths(unknown)).toEqual(['/stage_id'])

    // Only the pending evaluation exists: nothing to grade from, even with the grade given.
    for (const body of [{ stage_id: stage.stage_id }, { stage_id: stage.stage_id, final_grade: 14 }]) {
      const early = await admin().post('/grades', body)
      expect(early.status).toBe(409)
      expect(early.body).toEqual({
        error: 'NO_EVALUATION',
        message: 'the stage (completed) has no submitted evaluation to grade from',
        problems: [{ path: '/stage_id', message: 'no submitted evaluation' }],
      })
    }
    expect(problemPaths(await admin().post('/grades', { stage_id: stage.stage_id, final_grade: 13.1 }))).toEqual(['/final_grade'])

    await s.as('encadrant', encadrant.user_id).post('/evaluations', { stage_id: stage.stage_id, score: 9.75 })
    const graded = await admin().post('/grades', { stage_id: stage.stage_id })
    expect(graded.body.final_grade).toBe(9.75)
    const twice = await admin().post('/grades', { stage_id: stage.stage_id, final_grade: 15 })
    expect(twice.status).toBe(409)
    expect(twice.body.error).toBe('GRADE_ASSIGNED')
    expect(twice.body.message).toContain('(9.75 on ')
    expect(s.seen('grade.assigned', (p) => p.stage_id === stage.stage_id)).toHaveLength(1)
    // Graded, the stage takes no new evaluation either.
    expect((await admin().post('/evaluations', { stage_id: stage.stage_id, score: 10 })).body.error).toBe('GRADE_ASSIGNED')
  })
})

describe('at the same time', () => {
  test('five admins grading one stage at once: one grade, four 409 GRADE_ASSIGNED, one grade.assigned', async () => {
    const stage = await s.stage(student, encadrant, 'completed')
    await s.as('encadrant', encadrant.user_id).post('/evaluations', { stage_id: stage.stage_id, score: 12 })
    const answers = await Promise.all([10, 11, 12, 13, 14].map((final_grade) => admin().post('/grades', { stage_id: stage.stage_id, final_grade })))
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409])
    expect(answers.filter((a) => a.status === 409).map((a) => a.body.error)).toEqual(['GRADE_ASSIGNED', 'GRADE_ASSIGNED', 'GRADE_ASSIGNED', 'GRADE_ASSIGNED'])
    const [given] = answers.filter((a) => a.status === 201)
    await s.waitForEvent('grade.assigned', (p) => p.stage_id === stage.stage_id)
    await Bun.sleep(200)
    expect(s.seen('grade.assigned', (p) => p.stage_id === stage.stage_id).map((e) => e.payload.final_grade)).toEqual([given!.body.final_grade])
  })
})

describe('reads refused', () => {
  test('GET /evaluations/:id: 404 for another encadrant, a student of another stage and an unknown id; GET /evaluations: bad filters 422', async () => {
    const stage = await s.stage(student, encadrant, 'completed')
    const { body: evaluation } = await s.as('encadrant', encadrant.user_id).post('/evaluations', { stage_id: stage.stage_id, score: 11 })
    const path = `/evaluations/${evaluation.id}`
    expect((await admin().get(path)).status).toBe(200)
    expect((await s.as('encadrant', (await s.encadrant()).user_id).get(path)).status).toBe(404)
    expect((await s.as('student', (await s.student()).user_id).get(path)).status).toBe(404)
    expect((await admin().get(`/evaluations/${crypto.randomUUID()}`)).status).toBe(404)
    expect((await s.anonymous.get(path)).status).toBe(401)
    expect(problemPaths(await admin().get('/evaluations/nope'))).toEqual(['/params/id'])
    const bad = await admin().get('/evaluations?status=done&stage_id=x&per_page=500')
    expect(bad.status).toBe(422)
    expect(problemPaths(bad)).toEqual(expect.arrayContaining(['/query/status', '/query/stage_id', '/query/per_page']))
  })

  test('GET /evaluations: an admin filters by stage, student and status, paged', async () => {
    const other = await s.student()
    const a = await s.stage(other, encadrant, 'completed')
    const b = await s.stage(other, encadrant, 'completed')
    await s.as('encadrant', encadrant.user_id).post('/evaluations', { stage_id: a.stage_id, score: 8 })
    expect((await admin().get(`/evaluations?student_id=${other.student_id}`)).body.total).toBe(2)
    expect((await admin().get(`/evaluations?student_id=${other.student_id}&status=submitted`)).body.items.map((e: any) => e.stage_id)).toEqual([a.stage_id])
    expect((await admin().get(`/evaluations?stage_id=${b.stage_id}`)).body.items.map((e: any) => e.status)).toEqual(['pending'])
    const page = await admin().get(`/evaluations?student_id=${other.student_id}&per_page=1&page=2`)
    expect(page.body).toMatchObject({ page: 2, per_page: 1, total: 2, items: [expect.objectContaining({ stage_id: a.stage_id })] })
  })

  test('GET /grades: an admin must name the student (422), an unknown student is a 404', async () => {
    const unnamed = await admin().get('/grades')
    expect(unnamed.status).toBe(422)
    expect(problemPaths(unnamed)).toEqual(['/query/student_id'])
    expect((await admin().get(`/grades?student_id=${crypto.randomUUID()}`)).status).toBe(404)
    expect(problemPaths(await admin().get('/grades?student_id=x'))).toEqual(['/query/student_id'])
    // A student eval has not heard of has no transcript of their own.
    expect((await s.as('student').get('/grades')).status).toBe(404)
  })
})
