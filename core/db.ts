import type { SQL } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'
import { connect } from 'node:net'
import postgres from 'postgres'
import { coalesceWrites } from './connection.ts'
import { CommitUnknownError, TransientError } from './errors.ts'
import { withTimeout } from './timeout.ts'

export type Database = PostgresJsDatabase<Record<string, never>> & { $client: postgres.Sql }

export interface DatabaseOptions {
  /** Connections in the pool. @default 4 */
  max?: number
  /** Seconds to wait for a connection before failing. @default 5 */
  connectTimeout?: number
}

/** A drizzle database over a postgres.js pool; `db.$client.end()` closes it. */
export function openDatabase(url: string, o: DatabaseOptions = {}): Database {
  // Reconnect attempts back off to at most 2 s: retrying messages is the retry tiers' job, not the pool's.
  const options = { max: o.max ?? 4, connect_timeout: o.connectTimeout ?? 5, backoff: (n: number) => Math.min(0.1 * 2 ** n, 2), onnotice: () => {} }
  // postgres.js reads the URL (and PGHOST...) without connecting. With several hosts it tries them in
  // its own order, each connection from the first: its own sockets then.
  const plain = postgres(url, options)
  // `socket`: a documented option its types leave out.
  const client = plain.options.host.length > 1 ? plain : postgres(url, { ...options, socket: coalescingSocket } as postgres.Options<Record<string, never>>)
  return drizzle(preparing(client)) as Database
}

/**
 * A socket to the server, made as postgres.js makes its own but coalescing
 * writes: postgres.js sends a statement of 1 KiB or more at once, and the
 * smaller ones at the end of the turn, so a transaction's last statements and
 * its COMMIT would take a system call each. Such a statement holds back what
 * follows it until the turn's end, small ones included. The socket is handed
 * over still connecting; postgres.js sees it connect, fail or time out as its
 * own, and names it in its errors (and to TLS) by the `host` and `port` it
 * carries. Under TLS, postgres.js writes to a socket of its own on top.
 */
function coalescingSocket(o: { host: string[]; port: number[]; path?: string }) {
  const coalesce = { afterDeferred: true, corkFrom: 1024 }
  if (o.path) return coalesceWrites(connect(o.path), coalesce)
  const [host, port] = [o.host[0]!, o.port[0]!]
  return Object.assign(coalesceWrites(connect(port, host), coalesce), { host, port })
}

/** How long a transaction waits for a pooled connection before failing (transiently). */
const RESERVE_TIMEOUT_MS = 5_000

const dialect = new PgDialect()

/** A statement with its parameters written in as literals (dollar-quoted, so no content can end them). */
function inlined(q: { sql: string; params: unknown[] }): string {
  return q.sql.replace(/\$(\d+)/g, (_, n: string) => literal(q.params[Number(n) - 1]))
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  let tag = 'mt'
  while (text.includes(`$${tag}`)) tag = `mt${crypto.randomUUID().replaceAll('-', '')}`
  return `$${tag}$${text}$${tag}$`
}

/**
 * What a transaction's work may return to have its last statements sent in
 * one round trip with the COMMIT: `db.transaction` then resolves with it,
 * `rows` holding what each statement returned.
 */
export class AtCommit<T> {
  rows: Record<string, unknown>[][] | undefined
  constructor(
    readonly value: T,
    readonly statements: SQL[],
  ) {}
}

/**
 * A transaction on a reserved connection whose BEGIN goes out with the first
 * statement instead of costing a round trip of its own, and whose last
 * statements go out with its COMMIT when the work returns them as `AtCommit`.
 */
async function pipelinedTransaction(sql: postgres.Sql, fn: (tx: postgres.Sql) => unknown): Promise<unknown> {
  const reserving = sql.reserve()
  const connection = await withTimeout(reserving, RESERVE_TIMEOUT_MS, () => new TransientError('DB_UNAVAILABLE', `no database connection within ${RESERVE_TIMEOUT_MS} ms`)).catch((err) => {
    reserving.then((late) => late.release(), () => {})
    throw err
  })
  try {
    const begun = connection.unsafe('begin')
    begun.catch(() => {})
    let result: unknown
    let last: { sql: string; params: unknown[] }[] = []
    try {
      result = await fn(preparing(connection))
      await begun
      if (result instanceof AtCommit) last = result.statements.map((s) => dialect.sqlToQuery(s))
    } catch (err) {
      await connection.unsafe('rollback').catch(() => {})
      throw err
    }
    if (!(result instanceof AtCommit)) {
      await connection.unsafe('commit').catch(commitFailure)
      return result
    }
    // Handed to the connection in this order, so they run before the COMMIT; if one fails, COMMIT rolls back.
    // Not prepared (postgres.js sends a prepared statement again when the server lost it, which here
    // would be after the COMMIT, on its own) and without parameters (it would ask PostgreSQL to describe
    // such a statement first, a round trip of its own, before sending the rest).
    const statements = last.map((q) => connection.unsafe(inlined(q), [], { prepare: false }).execute())
    const commit = connection.unsafe('commit').execute()
    const settled = await Promise.allSettled([...statements, commit])
    // A statement the server refused rolled the transaction back, whatever became of the COMMIT's answer.
    const refused = settled.find((s) => s.status === 'rejected' && !unanswered(s.reason))
    if (refused) throw (refused as PromiseRejectedResult).reason
    const committing = settled.at(-1)!
    if (committing.status === 'rejected') throw new CommitUnknownError(committing.reason)
    const failed = settled.find((s) => s.status === 'rejected')
    if (failed) throw failed.reason
    if ((await commit).command !== 'COMMIT') throw new Error('the transaction was rolled back at commit')
    result.rows = await Promise.all(statements)
    return result
  } finally {
    connection.release()
  }
}

/** Whether a statement failed without the server's answer (the connection was lost): it may have been carried out. */
const unanswered = (err: unknown) => !(err instanceof postgres.PostgresError)

/** What made a COMMIT fail, thrown: the server's refusal as it is (nothing committed), or a CommitUnknownError when no answer came. */
function commitFailure(err: unknown): never {
  throw unanswered(err) ? new CommitUnknownError(err) : err
}

/** Marks a statement sent by `sendAhead`: the `preparing` proxy leaves it unprepared. */
const UNPREPARED = '/* unprepared */ '

/**
 * Sends a statement of the transaction `tx` at once, without waiting for its
 * answer: it reaches the connection ahead of any statement made after this
 * call, whichever way that is made (drizzle's queries take a turn of the
 * microtask queue more than postgres.js's own). It goes as it is, its values
 * written in: neither prepared (its text is never the same twice) nor
 * described first (it has no parameters). Resolves with its rows.
 */
export function sendAhead<T>(tx: object, statement: SQL): Promise<T[]> {
  const client = (tx as { session: { client: postgres.Sql } }).session.client
  return client.unsafe(UNPREPARED + inlined(dialect.sqlToQuery(statement))).execute() as unknown as Promise<T[]>
}

/**
 * drizzle sends every query unprepared, so PostgreSQL parses and plans each one
 * again; this makes postgres.js prepare them (it caches one statement per query
 * text on each connection), in transactions too, which also pipeline their BEGIN.
 */
function preparing(sql: postgres.Sql): postgres.Sql {
  return new Proxy(sql, {
    get(target, key, receiver) {
      if (key === 'unsafe') return (query: string, args?: unknown[], options?: object) => target.unsafe(query, args as never, { ...options, prepare: !query.startsWith(UNPREPARED) })
      if (key === 'begin' && 'reserve' in target) return (...args: unknown[]) => pipelinedTransaction(target, args.pop() as (tx: postgres.Sql) => unknown)
      return Reflect.get(target, key, receiver)
    },
  })
}

/** Creates the database named in `url` when it does not exist yet; returns whether it did. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.slice(1))
  if (!name) throw new Error('DATABASE_URL names no database')
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} })
  try {
    const found = await sql`select 1 from pg_database where datname = ${name}`
    if (found.length > 0) return false
    try {
      await sql.unsafe(`create database "${name.replaceAll('"', '""')}"`)
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04') throw err // created meanwhile by another migrate
    }
    return true
  } finally {
    await sql.end()
  }
}

/** Creates the database if needed and applies every committed migration not yet applied; returns whether it was created. */
export async function migrateDatabase(url: string, migrationsFolder: string): Promise<boolean> {
  const created = await ensureDatabase(url)
  const db = openDatabase(url, { max: 1 })
  try {
    await migrate(db, { migrationsFolder })
  } finally {
    await db.$client.end()
  }
  return created
}

/** Drops a database (tests only), closing whoever is still connected. */
export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1))
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} })
  try {
    await sql.unsafe(`drop database if exists "${name.replaceAll('"', '""')}" with (force)`)
  } finally {
    await sql.end()
  }
}
