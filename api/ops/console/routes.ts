import { Elysia } from 'elysia'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { errorBody } from '../../kit/errors.ts'

/** Where the console's page and its assets are: plain files, served as they are (there is no build step). */
const PAGE_DIR = new URL('./page/', import.meta.url)

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
}

/** What an asset's name may be: one file of the page folder, no folder, no dot file, a known type. */
const ASSET_NAME = /^[a-z0-9][a-z0-9-]*\.(html|css|js|svg)$/

/**
 * The page's scripts and styles are its own files only, it is never framed,
 * and it sends no referrer (the API's paths name ids).
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

interface Asset {
  body: Uint8Array<ArrayBuffer>
  headers: Record<string, string>
}

/**
 * Every file of the page folder, read once: what is served is exactly this
 * set, so a name that is not one of them (a folder, `..`, an encoded slash)
 * has nothing to reach. Each is revalidated on every use (`no-cache`) by its
 * ETag: an asset has no version in its name, so a cached one is never used
 * after the console changed.
 */
function readAssets(dir: URL): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  for (const name of readdirSync(dir)) {
    const match = ASSET_NAME.exec(name)
    if (!match) continue
    const body = new Uint8Array(readFileSync(new URL(name, dir)))
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
    assets.set(name, { body, headers: { 'content-type': CONTENT_TYPES[match[1]!]!, 'cache-control': 'no-cache', etag, ...SECURITY_HEADERS } })
  }
  return assets
}

/** Whether the request's If-None-Match names the asset's ETag (or `*`). */
const isFresh = (request: Request, etag: string) =>
  (request.headers.get('if-none-match') ?? '')
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*')

function answer(request: Request, asset: Asset): Response {
  if (isFresh(request, asset.headers.etag!)) return new Response(null, { status: 304, headers: asset.headers })
  return new Response(asset.body, { headers: asset.headers })
}

const notFound = (path: string) => Response.json(errorBody('NOT_FOUND', `no route GET ${path}`), { status: 404 })

export interface ConsoleOptions {
  /** The folder of the page and its assets. @default the `page` folder beside this file */
  dir?: URL
}

/**
 * The operators' console: its page at `/ops/` (also `/ops`, as the gateway
 * forwards it without its trailing slash; the page names its assets by
 * absolute paths) and each asset at `/ops/<name>`. Anything else under
 * `/ops/` is a 404 in JSON. The page is public; the data it shows comes from
 * `/ops/api`, admin only. Mounted at the root of the ops API's server, beside
 * its `/ops/api` app (whose own routes are matched before the wildcard).
 * Pages, not API: left out of the ops API's OpenAPI document.
 */
export function consoleRoutes(options: ConsoleOptions = {}) {
  const assets = readAssets(options.dir ?? PAGE_DIR)
  const page = assets.get('index.html')
  if (!page) throw new Error('the console has no index.html')
  return new Elysia({ name: 'ops-console' })
    .get('/ops', ({ request }) => answer(request, page), { detail: { summary: "The operators' console (HTML)", hide: true } })
    .get(
      '/ops/*',
      ({ request, params }) => {
        const asset = assets.get(params['*'])
        return asset ? answer(request, asset) : notFound(new URL(request.url).pathname)
      },
      { detail: { summary: "The console's scripts and styles", hide: true } },
    )
}
