import { afterAll, describe, expect, test } from 'bun:test'
import { Elysia } from 'elysia'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { consoleRoutes } from './routes.ts'

const app = consoleRoutes()
const get = (path: string, headers: Record<string, string> = {}) => app.handle(new Request(`http://localhost${path}`, { headers }))
const PAGE = new URL('./page/', import.meta.url)

describe('the page', () => {
  test.each(['/ops', '/ops/'])('%s is the HTML page, revalidated on every use, its scripts its own only', async (path) => {
    const res = await get(path)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(res.headers.get('etag')).toMatch(/^"[\w-]{22}"$/)
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const html = await res.text()
    expect(html).toContain('<title>MedTrack operations</title>')
    expect(html).toContain('<script type="module" src="/ops/main.js"></script>')
  })

  test('every asset the page and its modules name is served, each with its content type', async () => {
    const html = await (await get('/ops/')).text()
    const named = new Set([...html.matchAll(/(?:src|href)="\/ops\/([^"]+)"/g)].map((m) => m[1]!))
    for (const file of readdirSync(PAGE).filter((f) => f.endsWith('.js'))) {
      for (const m of readFileSync(new URL(file, PAGE), 'utf8').matchAll(/from '\.\/([^']+)'/g)) named.add(m[1]!)
    }
    expect([...named]).toEqual(expect.arrayContaining(['console.css', 'main.js', 'icon.svg', 'api.js', 'session.js', 'queues.js', 'dead-letters.js', 'events.js', 'cascade.js', 'dialog.js']))
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' }
    for (const name of named) {
      const res = await get(`/ops/${name}`)
      expect({ name, status: res.status, type: res.headers.get('content-type') }).toEqual({ name, status: 200, type: types[name.split('.').pop()!]! })
      expect(await res.text()).toBe(readFileSync(new URL(name, PAGE), 'utf8'))
    }
  })

  test('an asset asked again with its ETag is a 304 without a body; another ETag gets the asset', async () => {
    const first = await get('/ops/main.js')
    const etag = first.headers.get('etag')!
    const again = await get('/ops/main.js', { 'if-none-match': `W/"other", ${etag}` })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
    expect(again.headers.get('etag')).toBe(etag)
    const changed = await get('/ops/main.js', { 'if-none-match': '"other"' })
    expect(changed.status).toBe(200)
    expect(await changed.text()).toBe(await first.text())
  })
})

describe('what is not an asset', () => {
  test.each(['/ops/nothing.js', '/ops/main.mjs', '/ops/routes.ts', '/ops/routes.test.ts', '/ops/page/index.html', '/ops/api/unknown', '/ops/MAIN.JS'])('%s is a 404 in JSON', async (path) => {
    const res = await get(path)
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('application/json')
    expect(await res.json()).toEqual({ error: 'NOT_FOUND', message: `no route GET ${path}` })
  })

  test.each(['/ops/..%2froutes.ts', '/ops/..%2F..%2F..%2Fpackage.json', '/ops/%2e%2e%2f%2e%2e%2fkit%2ferrors.ts', '/ops/page%2fmain.js', '/ops/%00main.js'])(
    'a way out of the page folder (%s) reaches no file: a 404 in JSON',
    async (path) => {
      const res = await get(path)
      expect(res.status).toBe(404)
      const body = await res.text()
      expect(JSON.parse(body).error).toBe('NOT_FOUND')
      expect(body).not.toContain('import')
    },
  )

  test.each(['/ops/../routes.ts', '/ops/.%2e/routes.ts', '/ops/%2e%2e/console/routes.ts', '/ops/..\\routes.ts'])('dot segments (%s) are resolved by the URL before any route, to a path outside /ops/: none of these routes answers it', async (path) => {
    const res = await get(path)
    expect(new URL(`http://localhost${path}`).pathname.startsWith('/ops/')).toBe(false)
    expect(res.status).toBe(404)
    expect(await res.text()).not.toContain('import')
  })

  test("a file of the folder that is not a page's type, or a dot file, is never served", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
    writeFileSync(join(dir, 'secrets.env'), 'JWT_SECRET=x')
    writeFileSync(join(dir, '.hidden.js'), 'alert(1)')
    writeFileSync(join(dir, 'notes.txt'), 'notes')
    const own = consoleRoutes({ dir: pathToFileURL(`${dir}/`) })
    for (const name of ['secrets.env', '.hidden.js', 'notes.txt']) expect((await own.handle(new Request(`http://localhost/ops/${name}`))).status).toBe(404)
    expect(await (await own.handle(new Request('http://localhost/ops'))).text()).toBe('<!doctype html><title>t</title>')
  })

  test('a folder without index.html is refused when the routes are made', () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-'))
    try {
      expect(() => consoleRoutes({ dir: pathToFileURL(`${dir}/`) })).toThrow('the console has no index.html')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

test("mounted beside the ops API's /ops/api app, the API's routes still answer for themselves", async () => {
  const opsApi = new Elysia({ prefix: '/ops/api' }).get('/queues', () => ({ queues: [] })).get('/lineage/:id', ({ params }) => ({ id: params.id }))
  const server = new Elysia().use(consoleRoutes()).use(opsApi)
  const call = async (path: string) => (await server.handle(new Request(`http://localhost${path}`))).json()
  expect(await call('/ops/api/queues')).toEqual({ queues: [] })
  expect(await call('/ops/api/lineage/abc')).toEqual({ id: 'abc' })
  expect((await server.handle(new Request('http://localhost/ops/'))).headers.get('content-type')).toBe('text/html; charset=utf-8')
})
