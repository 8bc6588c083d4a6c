/** The `gateway.api_keys` table: creating, listing, revoking keys and finding the one a request presents. */
import { asc, desc, eq, or, sql } from 'drizzle-orm'
import { describe, newId, TransientError, type Database } from '../../core/index.ts'
import { apiKeys } from '../../schemas/db/gateway.ts'
import { generateKey, hashKey, keyPrefix, looksLikeKey } from './keys.ts'

/** A key as stored: everything but the key itself, which is never kept. */
export interface ApiKeyRecord {
  id: string
  name: string
  prefix: string
  eventPatterns: string[]
  createdAt: Date
  revokedAt: Date | null
}

const columns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  eventPatterns: apiKeys.eventPatterns,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Creates a key; resolves with the key (to show once) and its record, or null when an active key has the name. */
export async function createApiKey(db: Database, o: { name: string; patterns: string[] }): Promise<{ key: string; record: ApiKeyRecord } | null> {
  const key = generateKey()
  const [record] = await db
    .insert(apiKeys)
    .values({ id: newId(), name: o.name, keyHash: hashKey(key), prefix: keyPrefix(key), eventPatterns: o.patterns })
    .onConflictDoNothing()
    .returning(columns)
  return record ? { key, record } : null
}

/** Every key, oldest first, revoked ones included. */
export function listApiKeys(db: Database): Promise<ApiKeyRecord[]> {
  return db.select(columns).from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.name))
}

/**
 * Revokes the key named `nameOrId` (its name: the active key of that name, or
 * the last one revoked; or its id); a key already revoked keeps its first
 * revocation time. Resolves with the record and whether it was revoked before,
 * or null when there is no such key.
 */
export async function revokeApiKey(db: Database, nameOrId: string, now = new Date()): Promise<{ record: ApiKeyRecord; alreadyRevoked: boolean } | null> {
  const which = UUID.test(nameOrId) ? or(eq(apiKeys.name, nameOrId), eq(apiKeys.id, nameOrId)) : eq(apiKeys.name, nameOrId)
  return db.transaction(async (tx) => {
    const [found] = await tx
      .select(columns)
      .from(apiKeys)
      .where(which)
      .orderBy(sql`${apiKeys.revokedAt} is not null`, desc(apiKeys.revokedAt))
      .limit(1)
      .for('update')
    if (!found) return null
    if (found.revokedAt) return { record: found, alreadyRevoked: true }
    const [revoked] = await tx.update(apiKeys).set({ revokedAt: now }).where(eq(apiKeys.id, found.id)).returning(columns)
    return { record: revoked!, alreadyRevoked: false }
  })
}

/** The active key a request presents, or null; database trouble is a TransientError. */
export type KeyLookup = (key: string) => Promise<ApiKeyRecord | null>

export interface KeyLookupOptions {
  /** How long an answer is reused; a revoked key stops working within this time. @default 2000 */
  cacheMs?: number
  /** Answers kept at most; the oldest go first. @default 1000 */
  maxEntries?: number
  /** @default Date.now */
  now?: () => number
}

/** Looks keys up by their hash, reusing each answer (found or not) for `cacheMs`. */
export function createKeyLookup(db: Database, o: KeyLookupOptions = {}): KeyLookup {
  const cacheMs = o.cacheMs ?? 2_000
  const maxEntries = o.maxEntries ?? 1_000
  const now = o.now ?? Date.now
  const cache = new Map<string, { record: ApiKeyRecord | null; until: number }>()

  async function fetchActive(hash: string): Promise<ApiKeyRecord | null> {
    try {
      const [record] = await db.select(columns).from(apiKeys).where(eq(apiKeys.keyHash, hash))
      return record && !record.revokedAt ? record : null
    } catch (cause) {
      throw new TransientError('KEYS_UNAVAILABLE', `could not look the API key up: ${describe(cause)}`, { cause })
    }
  }

  return async (key) => {
    if (!looksLikeKey(key)) return null
    const hash = hashKey(key)
    const cached = cache.get(hash)
    if (cached && cached.until > now()) return cached.record
    const record = await fetchActive(hash)
    if (cacheMs > 0) {
      cache.delete(hash)
      cache.set(hash, { record, until: now() + cacheMs })
      while (cache.size > maxEntries) cache.delete(cache.keys().next().value!)
    }
    return record
  }
}
