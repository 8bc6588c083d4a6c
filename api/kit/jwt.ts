import { Buffer } from 'node:buffer'

export type Role = 'student' | 'encadrant' | 'admin'

export interface Claims {
  /** The user id. */
  sub: string
  role: Role
  email?: string
  /** The account's token version when issued; auth refuses tokens older than the current one. */
  ver?: number
  /** The session (auth's) the token was issued for: once it ends, auth refuses the token. */
  sid?: string
  /** Issued at, seconds since the epoch. */
  iat: number
  /** Expires at, seconds since the epoch. */
  exp: number
}

const encoder = new TextEncoder()
const b64url = (data: Uint8Array | string) => Buffer.from(typeof data === 'string' ? encoder.encode(data) : data).toString('base64url')
const keys = new Map<string, Promise<CryptoKey>>()

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret)
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
    keys.set(secret, key)
  }
  return key
}

/** Signs an HS256 JWT valid for `ttlSeconds`. */
export async function signToken(secret: string, claims: Omit<Claims, 'iat' | 'exp'>, ttlSeconds = 900, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000)
  const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds }))}`
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(head)))
  return `${head}.${b64url(sig)}`
}

/** The token of an `Authorization: Bearer <token>` header (the scheme in any case, RFC 9110 §11.1), or undefined. */
export function bearerToken(authorization: string | null | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1]
}

/** The user ids this platform issues tokens for; a token for anything else is not one of its own. */
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Tokens already verified, so a client's next requests skip the HMAC; bounded, and expiry still applies. */
const verified = new Map<string, Claims>()
const VERIFIED_MAX = 10_000

/** The claims of a valid, unexpired HS256 token; undefined for anything else. */
export async function verifyToken(secret: string, token: string, now = Date.now()): Promise<Claims | undefined> {
  const key = `${secret.length}:${secret}:${token}`
  const known = verified.get(key)
  if (known) return known.exp * 1000 > now ? known : (verified.delete(key), undefined)
  const claims = await verifySignature(secret, token, now)
  if (claims) {
    if (verified.size >= VERIFIED_MAX) verified.clear()
    verified.set(key, claims)
  }
  return claims
}

async function verifySignature(secret: string, token: string, now: number): Promise<Claims | undefined> {
  const [head, body, sig] = token.split('.')
  if (!head || !body || !sig) return undefined
  try {
    const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8'))
    if (header.alg !== 'HS256') return undefined
    const ok = await crypto.subtle.verify('HMAC', await hmacKey(secret), Buffer.from(sig, 'base64url'), encoder.encode(`${head}.${body}`))
    if (!ok) return undefined
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Claims
    if (typeof claims.sub !== 'string' || !USER_ID.test(claims.sub) || typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return undefined
    if (!['student', 'encadrant', 'admin'].includes(claims.role)) return undefined
    return claims
  } catch {
    return undefined
  }
}
