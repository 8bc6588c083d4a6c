import { Elysia } from 'elysia'
import { compileCatalogue, describe, MedTrackError, Names, requestIdFrom, publicReadiness, type Catalogue, type Database, type EventPublisher, type Logger } from '../../core/index.ts'
import { asyncApiDocument, catalogue } from '../../schemas/events/index.ts'
import { trustedProxies } from '../kit/addresses.ts'
import { DEFAULT_BODY_LIMIT, readBody } from '../kit/body.ts'
import { answerFor, declaresTooLarge, errorBody, noRoute, payloadTooLarge } from '../kit/errors.ts'
import { bearerToken } from '../kit/jwt.ts'
import { routeMethods } from '../kit/service-api.ts'
import { upstreamUrls, type GatewayConfig } from './config.ts'
import { publishExternalEvent, type Answer, type PublishDeps } from './events/publish.ts'
import { publishedEventsIn } from './published-events.ts'
import { createKeyLookup } from './key-store.ts'
import { clientAddressOf, forward } from './proxy.ts'
import { createSessionCheck } from './sessions.ts'

export interface GatewayDeps {
  config: GatewayConfig
  db: Database
  publisher: Pick<EventPublisher<Catalogue>, 'publishEnvelope'>
  log: Logger
  /** Whether the broker is reachable, for /health. @default () => true */
  brokerReady?: () => boolean
}

/** When to try again after a token could not be checked (auth did not answer). */
const SESSION_RETRY_AFTER_SECONDS = 2

/** What a page of an allowed origin may read of an answer. */
const CORS_HEADERS = { 'access-control-expose-headers': 'Allow, Location, Retry-After, X-Request-Id' }

/** What such a page may send, answered to its preflight request. */
const CORS_PREFLIGHT_HEADERS = {
  'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
  'access-control-allow-headers': 'Authorization, Content-Type, Idempotency-Key, X-Request-Id',
  'access-control-max-age': '600',
}

/** CORS_ORIGINS as a test: `*` allows every origin, a list those exactly, empty none. */
function corsOrigins(setting: string): (origin: string) => boolean {
  const origins = new Set(setting.split(',').map((o) => o.trim().replace(/\/+$/, '')).filter(Boolean))
  return origins.has('*') ? () => true : (origin) => origins.has(origin)
}

const requestIdOf = (request: Request): string => requestIdFrom(request.headers.get('x-request-id'))

const isMultipart = (request: Request) => /^\s*multipart\/form-data\s*(;|$)/i.test(request.headers.get('content-type') ?? '')

interface ProxyContext {
  request: Request
  params: { service: string }
  set: { headers: Record<string, string | number> }
  server: { requestIP(request: Request): { address: string } | null; timeout(request: Request, seconds: number): void } | null
}

/**
 * A browser's EventSource cannot set headers, so it sends its token as
 * `?access_token=`: for such a request (a GET asking for text/event-stream,
 * without an Authorization header) the token is taken out of the URL and sent
 * upstream as the header, so that it is checked like any other and no URL
 * past the gateway holds it. Any other request is forwarded as it is.
 */
function tokenLifted(request: Request): Request {
  if (request.method !== 'GET' || request.headers.has('authorization') || !(request.headers.get('accept') ?? '').includes('text/event-stream')) return request
  const url = new URL(request.url)
  const token = url.searchParams.get('access_token')
  if (token === null) return request
  url.searchParams.delete('access_token')
  const headers = new Headers(request.headers)
  headers.set('authorization', `Bearer ${token}`)
  return new Request(url, { method: 'GET', headers, signal: request.signal })
}

function notFound(request: Request, requestId: string): Response {
  const body = errorBody('NOT_FOUND', `no route ${request.method} ${new URL(request.url).pathname}`)
  return new Response(JSON.stringify(body), { status: 404, headers: { 'content-type': 'application/json', 'x-request-id': requestId } })
}

function reply(set: { status?: number | string; headers: Record<string, string | number> }, answer: Answer): unknown {
  set.status = answer.status
  Object.assign(set.headers, answer.headers)
  return answer.body
}

/**
 * The gateway, one origin for everything: `/S/api/*` forwarded to each service
 * API, `/ops` and everything under it to the ops API (its console), `POST /events/publish` (alias `/events/webhook`) for external systems
 * holding an API key, `GET /events/catalogue` (AsyncAPI), `GET /health`, `GET /ready`.
 * Anything else is a 404; every error is the services' JSON error shape.
 * Tests call `createGateway(deps).handle(new Request(...))`.
 */
export function createGateway(deps: GatewayDeps) {
  const { config, log } = deps
  const upstreams = new Map(Object.entries(upstreamUrls(config)))
  const publishDeps: PublishDeps = {
    keys: createKeyLookup(deps.db, { cacheMs: config.KEY_CACHE_MS }),
    publisher: deps.publisher,
    validator: compileCatalogue(catalogue),
    log,
    published: publishedEventsIn(deps.db),
  }
  const document = asyncApiDocument(catalogue, { exchange: new Names(config.MEDTRACK_NAMESPACE).events, serverUrl: config.RABBITMQ_URL })
  const brokerReady = deps.brokerReady ?? (() => true)

  const publish = async ({ request, set }: { request: Request; set: { status?: number | string; headers: Record<string, string | number> } }) =>
    reply(
      set,
      await publishExternalEvent(publishDeps, {
        authorization: request.headers.get('authorization'),
        contentType: request.headers.get('content-type'),
        readBody: async () => new TextDecoder().decode(await readBody(request, DEFAULT_BODY_LIMIT)),
        requestId: String(set.headers['x-request-id']),
        idempotencyKey: request.headers.get('idempotency-key'),
      }),
    )

  const sessions = createSessionCheck({ authUrl: upstreams.get('auth')!, cacheMs: config.SESSION_CACHE_MS, log })

  const proxy = async ({ request: received, params, set, server }: ProxyContext) => {
    const upstream = upstreams.get(params.service)
    const requestId = String(set.headers['x-request-id'])
    if (!upstream) return notFound(received, requestId)
    const request = tokenLifted(received)
    const authorization = request.headers.get('authorization')
    const session = params.service !== 'auth' && bearerToken(authorization) ? await sessions(authorization!) : 'valid'
    if (session === 'revoked') {
      const body = errorBody('UNAUTHENTICATED', 'this token is no longer valid; log in again')
      return new Response(JSON.stringify(body), { status: 401, headers: { 'content-type': 'application/json', 'x-request-id': requestId } })
    }
    // A token that cannot be checked is not waved through.
    if (session === 'unknown') {
      const body = errorBody('SERVICE_UNAVAILABLE', 'this token cannot be checked right now; try again')
      return new Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/json', 'x-request-id': requestId, 'retry-after': String(SESSION_RETRY_AFTER_SECONDS) } })
    }
    const clientIp = server?.requestIP(received)?.address
    const clientAddress = clientAddressOf(clientIp, received.headers.get('x-forwarded-for'), isTrustedProxy)
    const answer = await forward(request, { upstream, timeoutMs: config.UPSTREAM_TIMEOUT_MS, requestId, clientIp, trustedPeer: isTrustedProxy(clientIp), clientAddress, log })
    // An event stream is idle between its heartbeats: the server's idle timeout (Bun's 10 s) is not to end it.
    if ((answer.headers.get('content-type') ?? '').startsWith('text/event-stream')) server?.timeout(received, 0)
    // An answer's own Vary wins over the gateway's: Origin is added to it.
    const vary = answer.headers.get('vary')
    if (corsOn && vary && !/(^|,)\s*(origin|\*)\s*(,|$)/i.test(vary)) answer.headers.set('vary', `${vary}, Origin`)
    return answer
  }

  /** A request of the ops console (`/ops`, `/ops/…`), forwarded to the ops API like its `/ops/api` is. */
  const toOps = (context: Omit<ProxyContext, 'params'>) => proxy({ ...context, params: { service: 'ops' } })

  const isTrustedProxy = trustedProxies(config.TRUSTED_PROXIES)
  const corsAllows = corsOrigins(config.CORS_ORIGINS)
  const corsOn = config.CORS_ORIGINS.trim() !== ''

  const allowed = routeMethods(() => app.routes)

  const app = new Elysia()
    .onRequest(({ request, set }) => {
      set.headers['x-request-id'] = requestIdOf(request)
      // Answers differ by Origin once CORS is on, also those to no origin or a refused one: caches must know.
      if (corsOn) set.headers.vary = 'Origin'
      const origin = request.headers.get('origin')
      if (origin && corsAllows(origin)) {
        // Every answer to an allowed page carries these, errors included, so that its script can read them.
        Object.assign(set.headers, CORS_HEADERS, { 'access-control-allow-origin': origin })
        if (request.method === 'OPTIONS' && request.headers.has('access-control-request-method')) {
          return new Response(null, { status: 204, headers: { ...(set.headers as Record<string, string>), ...CORS_PREFLIGHT_HEADERS } })
        }
      }
      // An upload (multipart/form-data) goes through up to the server's own cap (SERVER_BODY_CAP), streamed:
      // the service API taking it knows its limit and refuses the rest itself.
      if (declaresTooLarge(request) && !isMultipart(request)) throw payloadTooLarge()
    })
    .onError(({ code, error, set, request }) => {
      set.headers['x-request-id'] ??= requestIdOf(request)
      // Elysia names an error by its `code`, so a DomainError NOT_FOUND would otherwise pass for an unknown route.
      if (code === 'NOT_FOUND' && !(error instanceof MedTrackError)) return noRoute(request, allowed, set)
      const answer = answerFor(error)
      set.status = answer.status
      if (answer.retryAfter) set.headers['retry-after'] = String(answer.retryAfter)
      if (answer.status >= 500) log.error('request failed', { path: new URL(request.url).pathname, error: describe(error) })
      return answer.body
    })
    .get('/health', () => ({ status: 'ok', service: 'gateway', broker: brokerReady() ? 'connected' : 'unreachable' }))
    // API keys are in the database and external events go to the broker: both, or not ready.
    .get('/ready', async ({ set }) => {
      const answer = await publicReadiness('gateway', deps.db, brokerReady, log)
      set.status = answer.status
      return answer.body
    })
    .get('/events/catalogue', () => document)
    .post('/events/publish', publish, { parse: 'none' })
    .post('/events/webhook', publish, { parse: 'none' })
    .all('/:service/api', proxy, { parse: 'none' })
    .all('/:service/api/*', proxy, { parse: 'none' })
    // The operators' console: its page and files are served by the ops API, at /ops and under it.
    .all('/ops', toOps, { parse: 'none' })
    .all('/ops/*', toOps, { parse: 'none' })
  return app
}

export type Gateway = ReturnType<typeof createGateway>
