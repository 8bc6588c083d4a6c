import { inArray, max } from 'drizzle-orm'
import { TooManyAttempts, type Database } from '../../../core/index.ts'
import { loginFailures } from '../../../schemas/db/auth.ts'
import { accountKey, addressKey } from '../../../schemas/domain/logins.ts'

/** The keys a login's failures are counted under: the account's, and the client address's when it is known. */
export const failureKeys = (email: string, address: string | undefined) => [accountKey(email), ...(address ? [addressKey(address)] : [])]

/**
 * 429 with the seconds to wait while any of the keys waits after too many
 * failures (the worker's count, shared by every replica): checked before the
 * password, so that a right one waits too and nothing is learnt meanwhile.
 */
export async function assertMayTry(db: Database, keys: string[]): Promise<void> {
  const [row] = await db
    .select({ until: max(loginFailures.blockedUntil) })
    .from(loginFailures)
    .where(inArray(loginFailures.key, keys))
  const until = row?.until ? new Date(row.until) : undefined
  if (!until || until.getTime() <= Date.now()) return
  const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000))
  throw new TooManyAttempts(seconds, `too many failed logins; try again in ${seconds} s`)
}

/**
 * The client's address: X-Real-IP as the gateway sets it (the socket's peer,
 * or the nearest address not of a trusted proxy), else this socket's peer;
 * undefined for a request handed to the app in-process.
 */
export function clientAddress(request: Request, server: { requestIP(request: Request): { address: string } | null } | null): string | undefined {
  const forwarded = request.headers.get('x-real-ip')?.trim()
  return forwarded || server?.requestIP(request)?.address || undefined
}

