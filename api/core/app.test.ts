import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createPublisher, deleteTopology, parseConfig, silentLogger, type EventPublisher } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { catalogue } from '../../schemas/events/index.ts'
import { connect, RABBITMQ_URL, testNamespace, waitFor } from '../../test/broker.ts'
import { createTestDatabase, type TestDatabase } from '../../test/database.ts'
import { WorkerConfig } from '../../workers/kit/config.ts'
import { startWorker, type RunningWorker } from '../../workers/kit/run.ts'
import { coreWorker } from '../../workers/core/worker.ts'
import { ApiConfig } from '../kit/config.ts'
import { signToken, type Role } from '../kit/jwt.ts'
import { startApi, type RunningApi } from '../kit/start.ts'
import { coreApi } from './app.ts'

const SECRET = 'core-api-test-secret-0123456789'
const namespace = testNamespace('core-api')
const broker = connect('core-api-test')
let database: TestDatabase
let worker: RunningWorker
let api: RunningApi
let publisher: EventPublisher<typeof catalogue>

beforeAll(async () => {
  database = await createTestDatabase('core_api')
  const env = { DATABASE_URL: database.url, RABBITMQ_URL, MEDTRACK_NAMESPACE: namespace, LOG_LEVEL: 'error', PORT: '0' }
  worker = await startWorker(coreWorker, parseConfig(WorkerConfig, env), silentLogger)
  api = await startApi(coreApi, parseConfig(ApiConfig, { ...env, JWT_SECRET: SECRET }), silentLogger)
  publisher = createPublisher({ connection: broker, catalogue, service: 'profile', namespace })
})

afterAll(async () => {
  await api.stop()
  await worker.close()
  await publisher.close()
  await deleteTopology(broker, { namespace, services: ['core'], commands: commandBindings() })
  await broker.close()
  await database.drop()
})

const as = async (role: Role, sub: string = crypto.randomUUID()) => ({ authorization: `Bearer ${await signToken(SECRET, { sub, role })}` })
const getTracking = async (studentId: string, headers: Record<string, string>) => fetch(`http://127.0.0.1:${api.port}/core/api/tracking/${studentId}`, { headers })

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
      created_at: expect.any(String),
      updated_at: expect.any(String),
    })
    expect(Date.parse(tracking.created_at)).not.toBeNaN()
  })

  test('the student themself 200, another student 403, an encadrant 200, an unknown student 404, no token 401', async () => {
    const { student, tracking } = await trackedStudent()

    const own = await getTracking(student.student_id, await as('student', student.user_id))
    expect(own.status).toBe(200)
    expect(await own.json()).toEqual(tracking)

    const other = await getTracking(student.student_id, await as('student'))
    expect(other.status).toBe(403)
    expect((await other.json()).error).toBe('FORBIDDEN')

    const encadrant = await getTracking(student.student_id, await as('encadrant'))
    expect(encadrant.status).toBe(200)

    const unknown = await getTracking(crypto.randomUUID(), await as('admin'))
    expect(unknown.status).toBe(404)
    expect((await unknown.json()).error).toBe('NOT_FOUND')

    const anonymous = await getTracking(student.student_id, {})
    expect(anonymous.status).toBe(401)

    const badId = await getTracking('not-a-uuid', await as('admin'))
    expect(badId.status).toBe(422)
  })
})
