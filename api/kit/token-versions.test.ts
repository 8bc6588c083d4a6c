import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { profileTokenVersions } from '../../schemas/db/profile.ts'
import { waitFor } from '../../test/broker.ts'
import { TEST_JWT_SECRET } from '../../test/service.ts'
import { startProfileService, uniqueEmail, type ProfileService } from '../profile/test-service.ts'
import { signToken, type Role } from './jwt.ts'

/**
 * A service API refuses, on its own, a token that is no longer its account's,
 * from the token versions its worker keeps of auth's events: here the profile
 * API and worker, with auth's events published as auth would.
 */
let s: ProfileService

beforeAll(async () => {
  s = await startProfileService('token-versions')
})
afterAll(async () => {
  await s.close()
})

const tokenOf = (sub: string, role: Role, ver?: number) => signToken(TEST_JWT_SECRET, { sub, role, ...(ver === undefined ? {} : { ver }) })

async function call(method: 'GET' | 'POST' | 'PATCH', path: string, token: string, body?: unknown) {
  const as = s.bearing(token)
  return method === 'GET' ? as.get(path) : method === 'POST' ? as.post(path, body) : as.patch(path, body)
}

/** A student account as auth announces it, with its profile made by the worker. */
async function student() {
  const user = { user_id: crypto.randomUUID(), email: uniqueEmail('tv'), role: 'student' as const, first_name: 'Ana', last_name: 'Diallo' }
  await s.applied((await s.publish('user.created', user)).event_id)
  const me = await call('GET', '/students/me', await tokenOf(user.user_id, 'student'))
  expect(me.status).toBe(200)
  return { ...user, studentId: me.body.id as string }
}

/** Waits past the API's reuse of what it read (ACCOUNT_CACHE_MS, 1 s by default). */
const pastTheCache = () => Bun.sleep(1_100)

describe("a service API refuses a token that is not its account's any more", () => {
  test('after user.password_changed: a token of the older version → 401 on reads and writes; one of the new version works', async () => {
    const ana = await student()
    const old = await tokenOf(ana.user_id, 'student', 0)
    expect((await call('PATCH', `/students/${ana.studentId}`, old, { phone: '+212600000001' })).status).toBe(200)

    await s.applied((await s.publish('user.password_changed', { user_id: ana.user_id, token_version: 1 })).event_id)
    await pastTheCache()
    const refused = { status: 401, body: { error: 'UNAUTHENTICATED', message: 'this token is no longer valid; log in again' } }
    expect(await call('GET', '/students/me', old)).toEqual(refused)
    expect(await call('PATCH', `/students/${ana.studentId}`, old, { phone: '+212600000002' })).toEqual(refused)
    expect((await call('GET', '/students/me', await tokenOf(ana.user_id, 'student', 1))).status).toBe(200)
    expect((await call('GET', `/students/${ana.studentId}`, await tokenOf(crypto.randomUUID(), 'admin'))).body.phone).toBe('+212600000001')

    // Events out of order never lower the version: an older change heard late leaves version 1.
    await s.applied((await s.publish('user.password_changed', { user_id: ana.user_id, token_version: 0 })).event_id)
    const [row] = await s.database.db.select().from(profileTokenVersions).where(eq(profileTokenVersions.userId, ana.user_id))
    expect(row).toMatchObject({ tokenVersion: 1, role: 'student', deletedAt: null })
    // An older producer's event without the version: one more than before.
    await s.applied((await s.publish('user.password_changed', { user_id: ana.user_id })).event_id)
    await pastTheCache()
    expect((await call('GET', '/students/me', await tokenOf(ana.user_id, 'student', 1))).status).toBe(401)
    expect((await call('GET', '/students/me', await tokenOf(ana.user_id, 'student', 2))).status).toBe(200)
  }, 15_000)

  test("a token naming another role than the account's → 401, whatever it would have allowed", async () => {
    const ana = await student()
    const forged = await tokenOf(ana.user_id, 'admin')
    expect(await call('GET', '/students', forged)).toEqual({ status: 401, body: { error: 'UNAUTHENTICATED', message: "this token's role is not the account's; log in again" } })
    expect((await call('POST', '/students', forged, { email: uniqueEmail('forged') })).status).toBe(401)
    expect((await call('GET', '/encadrants/me', await tokenOf(ana.user_id, 'encadrant'))).status).toBe(401)
  })

  test('after user.deleted: every token of the account → 401, for good', async () => {
    const ana = await student()
    await s.applied((await s.publish('user.deleted', { user_id: ana.user_id })).event_id)
    await pastTheCache()
    for (const ver of [0, 5]) {
      expect(await call('GET', `/students/${ana.studentId}`, await tokenOf(ana.user_id, 'student', ver))).toEqual({
        status: 401,
        body: { error: 'UNAUTHENTICATED', message: 'this account no longer exists' },
      })
    }
    // A user.created heard again later does not bring the account back.
    await s.applied((await s.publish('user.created', { user_id: ana.user_id, email: ana.email, role: 'student', first_name: 'Ana', last_name: 'Diallo' })).event_id)
    await waitFor(async () => (await s.database.db.select().from(profileTokenVersions).where(eq(profileTokenVersions.userId, ana.user_id))).length === 1, 2_000, 'the row')
    const [row] = await s.database.db.select().from(profileTokenVersions).where(eq(profileTokenVersions.userId, ana.user_id))
    expect(row!.deletedAt).not.toBeNull()
  }, 10_000)
})
