import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { t } from 'elysia'
import { connect as connectTcp } from 'node:net'
import { profileRuntime, profileTokenVersions } from '../../schemas/db/profile.ts'
import { bearer, json, post, startService, tokenFor, type Service } from '../../test/service.ts'
import { DEFAULT_BODY_LIMIT } from './body.ts'
import type { ApiDefinition } from './start.ts'

/** An API of the kit with routes of every kind: a token needed or not, the default body limit or a larger one. */
const bodies: ApiDefinition = {
  service: 'profile',
  tables: profileRuntime,
  accounts: profileTokenVersions,
  routes: (app) =>
    app
      .post('/open', ({ body }) => ({ bytes: JSON.stringify(body).length }))
      .post('/reports', ({ body }) => ({ bytes: JSON.stringify(body).length }), { auth: true, bodyLimit: 256 * 1024 })
      .patch('/things/:id', ({ params }) => ({ id: params.id }), { auth: ['admin'], params: t.Object({ id: t.String() }), body: t.Object({ name: t.String() }) }),
}

let s: Service
beforeAll(async () => {
  s = await startService({ label: 'bodies', api: bodies })
})
afterAll(() => s.close())

const padded = (bytes: number) => `{"text":"${'x'.repeat(bytes - 11)}"}`

/** Sends a request's head and the first KiB of a body declared 9 MiB long; resolves with the status line of an answer given before the rest. */
function statusBeforeTheBody(method: string, path: string, authorization?: string): Promise<string> {
  const url = new URL(s.url(path))
  return new Promise((resolve, reject) => {
    const socket = connectTcp(Number(url.port), url.hostname, () => {
      const head = [`${method} ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, 'Content-Type: application/json', `Content-Length: ${9 * 1024 * 1024}`, ...(authorization ? [`Authorization: ${authorization}`] : []), '', '']
      socket.write(`${head.join('\r\n')}{"name":"${'x'.repeat(1024)}`)
    })
    socket.once('data', (d) => (socket.destroy(), resolve(d.toString().split('\r\n')[0]!)))
    socket.on('error', reject)
    setTimeout(() => (socket.destroy(), reject(new Error('no answer while the body was still coming'))), 3_000)
  })
}

describe('request bodies', () => {
  test('a route takes DEFAULT_BODY_LIMIT (64 KiB) unless it says more with bodyLimit; past it, 413 naming its own limit', async () => {
    const token = await tokenFor('student')
    expect(await json(await post(s.url('/profile/api/open'), padded(DEFAULT_BODY_LIMIT)))).toEqual({ bytes: DEFAULT_BODY_LIMIT })
    const open = await post(s.url('/profile/api/open'), padded(DEFAULT_BODY_LIMIT + 1))
    expect(open.status).toBe(413)
    expect((await json(open)).message).toBe('the request body is larger than 65536 bytes, the most this route takes')

    expect(await json(await post(s.url('/profile/api/reports'), padded(200 * 1024), bearer(token)))).toEqual({ bytes: 200 * 1024 })
    const report = await post(s.url('/profile/api/reports'), padded(256 * 1024 + 1), bearer(token))
    expect(report.status).toBe(413)
    expect(await json(report)).toMatchObject({ error: 'PAYLOAD_TOO_LARGE', message: 'the request body is larger than 262144 bytes, the most this route takes' })
  })

  test('every route that needs a token answers 401 (or 403 for the wrong role) before reading a body; one that needs none reads it', async () => {
    expect(await statusBeforeTheBody('POST', '/profile/api/reports')).toBe('HTTP/1.1 401 Unauthorized')
    expect(await statusBeforeTheBody('PATCH', `/profile/api/things/${crypto.randomUUID()}`)).toBe('HTTP/1.1 401 Unauthorized')
    expect(await statusBeforeTheBody('PATCH', '/profile/api/things/one', `Bearer ${await tokenFor('student')}`)).toBe('HTTP/1.1 403 Forbidden')
    // Declared over what the route takes: 413 at once too, with a token that may send it.
    expect(await statusBeforeTheBody('PATCH', '/profile/api/things/one', `Bearer ${await tokenFor('admin')}`)).toBe('HTTP/1.1 413 Payload Too Large')
    expect(await statusBeforeTheBody('POST', '/profile/api/open')).toBe('HTTP/1.1 413 Payload Too Large')
  })
})
