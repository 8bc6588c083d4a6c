import { inArray, max } from 'drizzle-orm'
import { TooManyAttempts, TransientError, type Database } from '../../../core/index.ts'
import { loginFailures } from '../../../schemas/db/auth.ts'
import { accountKey, addressKey } from '../../../schemas/domain/logins.ts'
import type { Dispatch } from './session-life.ts'

/** The keys a login's attempts are counted under: the account's, and the client address's when it is known. */
export const attemptKeys = (email: string, address: string | undefined) => [accountKey(email), ...(address ? [addressKey(address)] : [])]

/** 429 with the seconds until `until`. */
const tooMany = (until: Date) => {
  const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000))
  return new TooManyAttempts(seconds, `too many failed logins; try again in ${seconds} s`)
}

/**
 * 429 while any of the keys waits after too many failures, read from the
 * worker's count without asking it: a caller who waits costs no command.
 */
export async function assertNotWaiting(db: Database, keys: string[]): Promise<void> {
  const [row] = await db
    .select({ until: max(loginFailures.blockedUntil) })
    .from(loginFailures)
    .where(inArray(loginFailures.key, keys))
  const until = row?.until ? new Date(row.until) : undefined
  if (until && until.getTime() > Date.now()) throw tooMany(until)
}

/**
 * Has the worker count the attempt before its password is checked, so that
 * parallel attempts through any replica are counted one after the other and
 * no more than the limit are checked: 429 when a key waits, 503 (Retry-After)
 * when the count was not applied (the worker slow or refusing it): never a
 * password checked that nothing counted.
 */
export async function countAttempt(command: Dispatch, keys: string[]): Promise<void> {
  // Every request is an attempt of its own, one made again under the same Idempotency-Key too.
  const counted = await command('auth.count_login_attempt', { keys }, { bodyHash: crypto.randomUUID() })
  if (counted.status === 200) return
  if (counted.status === 429) throw tooMany(new Date((counted.body as { blocked_until: string }).blocked_until))
  throw new TransientError('ATTEMPT_NOT_COUNTED', `the login attempt could not be counted (${counted.status}); try again`)
}

/** What tells a peer's address: Bun's server, or none for a request handed to the app in-process. */
type Peer = { requestIP(request: Request): { address: string } | null } | null

/**
 * The client's address: X-Real-IP when the request comes from the gateway
 * (a peer `fromGateway` trusts), which sets it to the client it saw; from
 * anyone else, the peer's own address, whatever the request says.
 */
export function clientAddress(request: Request, server: Peer, fromGateway: (address: string | undefined) => boolean): string | undefined {
  const peer = server?.requestIP(request)?.address
  const told = request.headers.get('x-real-ip')?.trim()
  return (fromGateway(peer) && told) || peer || undefined
}
