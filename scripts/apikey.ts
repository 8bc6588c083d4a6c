/**
 * API keys external systems publish events with (`POST /events/publish`).
 *
 *   bun run apikey create --name <name> --events 'student.*,grade.assigned'
 *   bun run apikey list
 *   bun run apikey revoke <name|id>
 *
 * `create` prints the key once; only its SHA-256 is stored, so it cannot be shown again.
 */
import { Type } from '@sinclair/typebox'
import { parseArgs } from 'node:util'
import { describe, parseConfig, openDatabase } from '../core/index.ts'
import { parsePatterns, patternMatches } from '../api/gateway/keys.ts'
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord } from '../api/gateway/key-store.ts'
import { catalogue } from '../schemas/events/index.ts'

import { askedForHelp } from './cli.ts'

const USAGE = "usage: bun run apikey create --name <name> --events 'student.*,grade.assigned' | list | revoke <name|id>"

/** A key's name is for people reading `list`. */
const MAX_NAME = 100

const Config = Type.Object({
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/medtrack' }),
})

/** One terminal line per key: never the key itself, which is not stored. */
export function formatKey(k: ApiKeyRecord): string {
  return [k.name, k.id, `${k.prefix}…`, k.eventPatterns.join(','), k.createdAt.toISOString(), k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'].join('  ')
}

async function main(argv: string[]): Promise<number> {
  if (askedForHelp(argv, USAGE)) return 0
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' }, events: { type: 'string' } } })
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const { positionals, values } = parsed
  const [command, target] = positionals
  if (positionals.length > (command === 'revoke' ? 2 : 1)) {
    console.error(`unexpected argument '${positionals.at(-1)}'\n${USAGE}`)
    return 2
  }
  if (command === 'create' && (values.name?.trim().length ?? 0) > MAX_NAME) {
    console.error(`--name must be at most ${MAX_NAME} characters`)
    return 2
  }
  if (command === 'create' && values.name?.trim() && values.events !== undefined) {
    const { patterns, problems } = parsePatterns(values.events)
    if (problems.length > 0) {
      for (const p of problems) console.error(p)
      return 2
    }
    return withDatabase((db) => create(db, values.name!.trim(), patterns))
  }
  if (command === 'list' && !target) return withDatabase(list)
  if (command === 'revoke' && target) return withDatabase((db) => revoke(db, target))
  console.error(USAGE)
  return 2
}

type Db = ReturnType<typeof openDatabase>

/** Runs against the database; one that cannot be reached or refuses is one sentence (exit 1), never a stack trace. */
async function withDatabase(run: (db: Db) => Promise<number>): Promise<number> {
  const db = openDatabase(parseConfig(Config, process.env).DATABASE_URL, { max: 1 })
  try {
    return await run(db)
  } catch (err) {
    console.error(`apikey: ${describe(err)}`)
    return 1
  } finally {
    await db.$client.end({ timeout: 5 })
  }
}

async function create(db: Db, name: string, patterns: string[]): Promise<number> {
  const created = await createApiKey(db, { name, patterns })
  if (!created) {
    console.error(`an active API key named '${name}' exists (see: bun run apikey list; revoke it first to reuse the name)`)
    return 1
  }
  const types = Object.keys(catalogue)
  for (const p of patterns.filter((p) => !types.some((t) => patternMatches(p, t)))) console.error(`note: '${p}' matches no event type of the catalogue yet`)
  console.log(`created API key '${name}' (id ${created.record.id}) for ${patterns.join(', ')}`)
  console.log(`key: ${created.key}`)
  console.log('store it now: it is shown only this once')
  return 0
}

async function list(db: Db): Promise<number> {
  const keys = await listApiKeys(db)
  for (const k of keys) console.log(formatKey(k))
  console.log(`${keys.length} API key(s)`)
  return 0
}

async function revoke(db: Db, nameOrId: string): Promise<number> {
  const revoked = await revokeApiKey(db, nameOrId)
  if (!revoked) {
    console.error(`no API key named or with id '${nameOrId}'`)
    return 1
  }
  const { record, alreadyRevoked } = revoked
  console.log(
    alreadyRevoked
      ? `API key '${record.name}' was already revoked at ${record.revokedAt!.toISOString()}`
      : `revoked API key '${record.name}' (id ${record.id}); the gateway refuses it within KEY_CACHE_MS (2 s by default)`,
  )
  return 0
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)))
