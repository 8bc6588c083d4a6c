import { eq } from 'drizzle-orm'
import type { Database } from '../../core/index.ts'
import type { TokenVersionsTable } from '../../schemas/db/runtime.ts'
import type { Claims } from './jwt.ts'

/** What an API knows of the account a token names. */
export interface Account {
  /** Tokens issued with an older version are retired. */
  tokenVersion: number
  /** The account's role; null while the API has heard only of a later change. */
  role: string | null
  deleted: boolean
}

/** The account of a user id as this API knows it; undefined when it has not heard of it yet. */
export type AccountLookup = (userId: string) => Promise<Account | undefined>

/**
 * Why a token whose signature is valid is still refused: it was issued before
 * the account's last password change, names another role than the account's,
 * or is of a deleted account. Undefined when it is still the account's: also
 * for an account not heard of yet, whose `user.created` is on its way (auth
 * made the token; the gateway asks auth of every token it forwards).
 */
export function tokenRefusal(claims: Claims, account: Account | undefined): string | undefined {
  if (!account) return undefined
  if (account.deleted) return 'this account no longer exists'
  if ((claims.ver ?? 0) < account.tokenVersion) return 'this token is no longer valid; log in again'
  if (account.role !== null && claims.role !== account.role) return "this token's role is not the account's; log in again"
  return undefined
}

export interface TokenVersionLookupOptions {
  /** How long an answer is reused: a retired token is refused within this time once the worker has heard of it. @default 1000 */
  cacheMs?: number
  /** Answers kept at most; beyond, all are forgotten. @default 10000 */
  maxEntries?: number
  /** @default Date.now */
  now?: () => number
}

/** Reads the accounts from a service's token versions (kept by its worker), reusing each answer for `cacheMs`. */
export function tokenVersionLookup(db: Database, table: TokenVersionsTable, o: TokenVersionLookupOptions = {}): AccountLookup {
  const cacheMs = o.cacheMs ?? 1_000
  const maxEntries = o.maxEntries ?? 10_000
  const now = o.now ?? Date.now
  const cache = new Map<string, { account: Account | undefined; until: number }>()
  return async (userId) => {
    const cached = cache.get(userId)
    if (cached && cached.until > now()) return cached.account
    const [row] = await db.select().from(table).where(eq(table.userId, userId))
    const account = row && { tokenVersion: row.tokenVersion, role: row.role, deleted: row.deletedAt !== null }
    if (cache.size >= maxEntries) cache.clear()
    if (cacheMs > 0) cache.set(userId, { account, until: now() + cacheMs })
    return account
  }
}
