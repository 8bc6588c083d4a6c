import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { parseConfig, type EventPublisher } from '../../core/index.ts'
import { notifications } from '../../schemas/db/comm.ts'
import type { catalogue } from '../../schemas/events/index.ts'
import { waitFor } from '../../test/broker.ts'
import type { TestDatabase } from '../../test/database.ts'
import { bearer, startService, tokenFor, type Service } from '../../test/service.ts'
import { CommSettings } from '../../workers/comm/settings.ts'
import { commWorker } from '../../workers/comm/worker.ts'
import { commApi } from './app.ts'

let s: Service
let database: TestDatabase
let publisher: EventPublisher<typeof catalogue>

beforeAll(async () => {
  s = await startService({ label: 'comm_api', api: commApi, worker: commWorker(parseConfig(CommSettings, {})) })
  database = s.database
  publisher = s.publisher('profile')
})

afterAll(async () => {
  await s.close()
})

const url = (path: string) => s.url(`/comm/api${path}`)
const asStudent = async (userId: string) => bearer(await tokenFor('student', userId))
const list = async (userId: string, query = '') => fetch(url(`/notifications${query}`), { headers: await asStudent(userId) })
const read = async (id: string, headers: Record<string, string>) => fetch(url(`/notifications/${id}/read`), { method: 'POST', headers })

/** Publishes `student.created` for a new student of `userId` and resolves once comm holds its welcome notification. */
async function welcomed(userId: string, firstName?: string) {
  const studentId = crypto.randomUUID()
  await publisher.publish('student.created', { student_id: studentId, user_id: userId, email: `s-${studentId.slice(0, 8)}@example.org`, ...(firstName ? { first_name: firstName } : {}) })
  await waitFor(async () => (await database.db.select().from(notifications).where(eq(notifications.dedupeKey, `welcome:${studentId}`))).length === 1, 10_000, 'the welcome notification')
  const [row] = await database.db.select().from(notifications).where(eq(notifications.dedupeKey, `welcome:${studentId}`))
  return row!
}

describe('GET /comm/api/notifications', () => {
  test('student.created → the welcome notification is listed for that user, greeting them by first name; another user sees none', async () => {
    const userId = crypto.randomUUID()
    const row = await welcomed(userId, 'Ada')

    const res = await list(userId)
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body).toEqual({
      items: [{ id: row.id, user_id: userId, type: 'welcome', title: expect.stringContaining('Ada'), body: expect.stringContaining('Ada'), related_type: null, related_id: null, read: false, read_at: null, created_at: row.createdAt.toISOString() }],
      page: 1,
      per_page: 20,
      total: 1,
    })

    const other = await list(crypto.randomUUID())
    expect(other.status).toBe(200)
    expect(await other.json()).toEqual({ items: [], page: 1, per_page: 20, total: 0 })
  })

  test('newest first, paged, and ?unread=true leaves out the read ones', async () => {
    const userId = crypto.randomUUID()
    const older = await welcomed(userId, 'Grace')
    const newer = await welcomed(userId)
    expect(newer.title).toBe('Welcome to MedTrack!')

    const all = await (await list(userId)).json()
    expect(all.items.map((n: { id: string }) => n.id)).toEqual([newer.id, older.id])
    expect(all.total).toBe(2)

    const second = await (await list(userId, '?page=2&per_page=1')).json()
    expect(second).toMatchObject({ page: 2, per_page: 1, total: 2 })
    expect(second.items.map((n: { id: string }) => n.id)).toEqual([older.id])

    expect((await read(newer.id, await asStudent(userId))).status).toBe(200)
    const unread = await (await list(userId, '?unread=true')).json()
    expect(unread.items.map((n: { id: string }) => n.id)).toEqual([older.id])
    expect(unread.total).toBe(1)
    const readOnes = await (await list(userId, '?unread=false')).json()
    expect(readOnes.items.map((n: { id: string }) => n.id)).toEqual([newer.id])
  })

  test('per_page above 100 or a page of 0 → 422 naming the query field; no token → 401', async () => {
    const userId = crypto.randomUUID()
    const tooMany = await list(userId, '?per_page=101')
    expect(tooMany.status).toBe(422)
    expect((await tooMany.json()).problems.map((p: { path: string }) => p.path)).toContain('/query/per_page')
    const zero = await list(userId, '?page=0')
    expect(zero.status).toBe(422)

    const anonymous = await fetch(url('/notifications'))
    expect(anonymous.status).toBe(401)
    expect((await anonymous.json()).error).toBe('UNAUTHENTICATED')
  })
})

describe('POST /comm/api/notifications/:id/read', () => {
  test('the owner reads it → 200 with read: true; reading again → 200 with the same read_at', async () => {
    const userId = crypto.randomUUID()
    const row = await welcomed(userId, 'Linus')
    const headers = await asStudent(userId)

    const first = await read(row.id, headers)
    expect(first.status).toBe(200)
    const done = await first.json()
    expect(done).toMatchObject({ id: row.id, user_id: userId, type: 'welcome', read: true })
    expect(Date.parse(done.read_at)).not.toBeNaN()

    const again = await read(row.id, headers)
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual(done)

    const listed = await (await list(userId)).json()
    expect(listed.items[0]).toEqual(done)
  })

  test("someone else's notification or an unknown one → 404 and it stays unread; no token → 401; not a uuid → 422", async () => {
    const owner = crypto.randomUUID()
    const row = await welcomed(owner)

    const stranger = await read(row.id, await asStudent(crypto.randomUUID()))
    expect(stranger.status).toBe(404)
    expect((await stranger.json()).error).toBe('NOT_FOUND')
    const admin = await read(row.id, bearer(await tokenFor('admin')))
    expect(admin.status).toBe(404)

    const unknown = await read(crypto.randomUUID(), await asStudent(owner))
    expect(unknown.status).toBe(404)

    const anonymous = await read(row.id, {})
    expect(anonymous.status).toBe(401)

    const badId = await read('not-a-uuid', await asStudent(owner))
    expect(badId.status).toBe(422)

    const [after] = await database.db.select().from(notifications).where(eq(notifications.id, row.id))
    expect(after!.readAt).toBeNull()
  })
})
