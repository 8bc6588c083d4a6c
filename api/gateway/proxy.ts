import { describe, type Logger } from '../../core/index.ts'
import { errorBody } from '../kit/errors.ts'

export interface ForwardOptions {
  /** Base URL of the service API, e.g. `http://127.0.0.1:3002`. */
  upstream: string
  /** How long the upstream may take to start answering; then 504. */
  timeoutMs: number
  /** Sent upstream as X-Request-Id and returned to the caller. */
  requestId: string
  /**
   * The address the request came from (the socket's peer), sent upstream as X-Forwarded-For.
   * Undefined (a request handed to the app in-process) sends none.
   */
  clientIp?: string
  /** Whether `clientIp` is a proxy of ours, whose X-Forwarded-For is kept (and `clientIp` appended). @default false */
  trustedPeer?: boolean
  /**
   * The client as the gateway tells it (`clientAddressOf`), sent upstream as X-Real-IP: the address
   * a service counts a caller's attempts by (auth's failed logins). Undefined sends none.
   */
  clientAddress?: string
  log: Logger
}

/** Headers that describe one connection, not the message: never forwarded either way (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host'])

function endToEnd(headers: Headers): Headers {
  const named = (headers.get('connection') ?? '').split(',').map((h) => h.trim().toLowerCase())
  const kept = new Headers()
  // CORS is the gateway's to answer (CORS_ORIGINS): a service API's own would let any page read it.
  for (const [name, value] of headers) if (!HOP_BY_HOP.has(name) && !named.includes(name) && !name.startsWith('access-control-')) kept.append(name, value)
  return kept
}

/** `/profile/api/students/` → `/profile/api/students`: the service APIs know each path without its trailing slash. */
export function upstreamPath(pathname: string): string {
  return pathname.replace(/\/+$/, '') || '/'
}

/**
 * The client of a request: the nearest address, walking back from the socket's
 * peer along X-Forwarded-For, that is not a trusted proxy (each trusted one
 * vouches for the address before it; nothing else is believed). A chain of
 * proxies only gives its first address. Undefined without a peer (in-process).
 */
export function clientAddressOf(peer: string | undefined, forwardedFor: string | null, trusted: (address: string) => boolean): string | undefined {
  if (peer === undefined) return undefined
  const chain = [...(forwardedFor ?? '').split(',').map((a) => a.trim()).filter(Boolean), peer]
  let at = chain.length - 1
  while (at > 0 && trusted(chain[at]!)) at--
  return chain[at]
}

function json(status: number, body: unknown, requestId: string): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'x-request-id': requestId } })
}

/**
 * Forwards `request` (method, path without trailing slash, query, end-to-end
 * headers, body streamed) to the upstream and returns its status, headers and
 * body as they are, redirects and compressed bodies included. An upstream that
 * cannot be reached is a 502, one that does not start answering in time a 504.
 */
export async function forward(request: Request, o: ForwardOptions): Promise<Response> {
  const url = new URL(request.url)
  const target = `${o.upstream.replace(/\/+$/, '')}${upstreamPath(url.pathname)}${url.search}`
  const headers = endToEnd(request.headers)
  headers.set('x-request-id', o.requestId)
  headers.set('x-forwarded-host', request.headers.get('host') ?? url.host)
  headers.set('x-forwarded-proto', url.protocol.replace(/:$/, ''))
  // What a client says of where it came from is not believed: only the socket's address, or a trusted proxy's chain.
  const chain = o.trustedPeer ? request.headers.get('x-forwarded-for') : null
  for (const claimed of ['x-forwarded-for', 'x-real-ip', 'forwarded']) headers.delete(claimed)
  if (o.clientIp) headers.set('x-forwarded-for', [chain, o.clientIp].filter(Boolean).join(', '))
  if (o.clientAddress) headers.set('x-real-ip', o.clientAddress)

  const timeout = new AbortController()
  const timer = setTimeout(() => timeout.abort(), o.timeoutMs)
  const hasBody = request.body !== null && request.method !== 'GET' && request.method !== 'HEAD'
  let upstream: Response
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: hasBody ? request.body : null,
      redirect: 'manual',
      decompress: false,
      signal: AbortSignal.any([timeout.signal, request.signal]),
      // Required by the fetch standard for a streamed request body.
      duplex: 'half',
    } as RequestInit)
  } catch (err) {
    if (timeout.signal.aborted) {
      o.log.warn('upstream timed out', { upstream: o.upstream, path: url.pathname, timeout_ms: o.timeoutMs, request_id: o.requestId })
      return json(504, errorBody('GATEWAY_TIMEOUT', `the service did not answer within ${o.timeoutMs} ms`), o.requestId)
    }
    o.log.warn('upstream unreachable', { upstream: o.upstream, path: url.pathname, error: describe(err), request_id: o.requestId })
    return json(502, errorBody('BAD_GATEWAY', 'the service behind this path cannot be reached right now; try again'), o.requestId)
  } finally {
    clearTimeout(timer)
  }
  const answer = endToEnd(upstream.headers)
  answer.set('x-request-id', o.requestId)
  return new Response(request.method === 'HEAD' ? null : upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: answer })
}
