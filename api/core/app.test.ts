import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { EventPublisher } from '../../core/index.ts'
import type { catalogue } from '../../schemas/events/index.ts'
import { waitFor } from '../../test/broker.ts'
import { bearer, startService, tokenFor, type Service } from '../../test/service.ts'
import { coreWorker } from '../../workers/core/worker.ts'
import type { Role } from '../kit/jwt.ts'
import { coreApi } from './app.ts'

let s: Service
let publisher: EventPublisher<typeof catalogue>

beforeAll(async () => {
  s = await startService({ label: 'core_api', api: coreApi, worker: coreWorker() })
  publisher = s.publisher('profile')
})

afterAll(async () => {
  await s.close()
})

const as = async (role: Role, sub?: string) => bearer(await tokenFor(role, sub))
const getTracking = async (studentId: string, headers: Record<string, string>) => fetch(s.url(`/core/api/tracking/${studentId}`), { headers })

/** Publishes `student.created` and resolves with the tracking once an admin can read it. */
async function trackedStudent() {
  const student = { student_id: crypto.randomUUID(), user_id: crypto.randomUUID(), email: `t-${crypto.randomUUID().slice(0, 8)}@example.org` }
  await publisher.publish('student.created', student)
  const admin = await as('admin')
  let res: Response | undefined
  await waitFor(async () => (res = await getTracking(student.student_id, admin)).status === 200, 10_000, 'the tracking readable')
  return { student, tracking: await res!.json() }
}

describe('GET /core/api/tracking/:student_id', () => {
  test('student.created → the tracking, not started, readable by the admin', async () => {
    const { student, tracking } = await trackedStudent()
    expect(tracking).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      student_id: student.student_id,
      status: 'not_started',
      stages_completed: 0,
      current: null,
      stages: { created: [], accepted: [], started: [], completed: [], cancelled: [] },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    })
    expect(Date.parse(tracking.created_at)).not.toBeNaN()
  })

  test('the student themself 200, another student 403, an encadrant 403 (until supervision exists), an unknown student 404, no token 401', async () => {
    const { student, tracking } = await trackedStudent()

    const own = await getTracking(student.student_id, await as('student', student.user_id))
    expect(own.status).toBe(200)
    expect(await own.json()).toEqual(tracking)

    const other = await getTracking(student.student_id, await as('student'))
    expect(other.status).toBe(403)
    expect((await other.json()).error).toBe('FORBIDDEN')

    const encadrant = await getTracking(student.student_id, await as('encadrant'))
    expect(encadrant.status).toBe(403)

    const unknown = await getTracking(crypto.randomUUID(), await as('admin'))
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).error).toBe('NOT_FOUND')

    const anonymous = await getTracking(student.student_id, {})
    expect(anonymous.status).toBe(401)

    const badId = await getTracking('not-a-uuid', await as('admin'))
    expect(badId.status).toBe(422)
  })
})
