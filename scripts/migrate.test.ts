import { afterAll, expect, test } from 'bun:test'
import postgres from 'postgres'
import { dropDatabase } from '../core/index.ts'
import { closedPort } from '../test/service.ts'

const ROOT = new URL('..', import.meta.url).pathname
const SERVER = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'
const url = `${SERVER}/medtrack_test_migrate_${crypto.randomUUID().slice(0, 8)}`
const SCHEMAS = ['auth', 'profile', 'core', 'comm', 'eval', 'gateway', 'ops']

/** `bun run migrate` as a child process against `url`, with the given admin settings only. */
async function migrate(admin: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: url }
  delete env.ADMIN_EMAIL
  delete env.ADMIN_PASSWORD
  Object.assign(env, admin)
  const proc = Bun.spawn(['bun', 'scripts/migrate.ts'], { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, out: out + err }
}

async function withDatabase<T>(target: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(target, { max: 1, onnotice: () => {} })
  try {
    return await run(sql)
  } finally {
    await sql.end()
  }
}

const exists = () => withDatabase(`${SERVER}/postgres`, async (sql) => (await sql`select 1 from pg_database where datname = ${new URL(url).pathname.slice(1)}`).length === 1)

/** Every column of every table, every index, and the applied migrations: what a second run must leave alone. */
const dump = () =>
  withDatabase(url, async (sql) => ({
    columns: await sql`
      select table_schema, table_name, column_name, ordinal_position, data_type, is_nullable, column_default
      from information_schema.columns
      where table_schema not in ('pg_catalog', 'information_schema')
      order by table_schema, table_name, ordinal_position`,
    indexes: await sql`select schemaname, tablename, indexname, indexdef from pg_indexes where schemaname not in ('pg_catalog') order by 1, 2, 3`,
    functions: await sql`
      select n.nspname as schema, p.proname as name, pg_get_function_identity_arguments(p.oid) as arguments, md5(p.prosrc) as source
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname not in ('pg_catalog', 'information_schema')
      order by 1, 2, 3`,
    migrations: await sql`select id, hash, created_at from drizzle.__drizzle_migrations order by id`,
  }))

afterAll(async () => {
  await dropDatabase(url)
})

test('bun run migrate creates the database and every service schema with inbox, outbox, command_results and command_effects; a second run changes nothing', async () => {
  expect(await exists()).toBe(false)

  const first = await migrate()
  expect(first.code, first.out).toBe(0)
  expect(first.out).toContain('"created":true')
  expect(await exists()).toBe(true)

  const tables = await withDatabase(url, (sql) => sql<{ table_schema: string; table_name: string }[]>`
    select table_schema, table_name from information_schema.tables where table_schema in ${sql(SCHEMAS)} and table_type = 'BASE TABLE'`)
  for (const schema of SCHEMAS) {
    const names = tables.filter((t) => t.table_schema === schema).map((t) => t.table_name)
    expect(names, schema).toEqual(expect.arrayContaining(['inbox', 'outbox', 'command_results', 'command_effects']))
  }
  const before = await dump()
  expect(before.migrations.length).toBeGreaterThan(0)
  expect(before.columns.filter((c) => c.table_schema === 'profile' && c.table_name === 'command_results').map((c) => c.column_name)).toEqual(
    expect.arrayContaining(['command_id', 'command_type', 'actor_id', 'outcome', 'http_status', 'body', 'created_at']),
  )
  // Each service schema has the unit of work's functions, over its own tables.
  const schemas = ['auth', 'comm', 'core', 'eval', 'gateway', 'ops', 'profile']
  expect(before.functions.map((f) => `${f.schema}.${f.name}(${f.arguments})`)).toEqual(
    schemas.flatMap((s) => [`${s}.commit_tail(emitted jsonb, results json)`, `${s}.record_inbox(arriving json)`]),
  )

  const second = await migrate()
  expect(second.code, second.out).toBe(0)
  expect(second.out).toContain('"created":false')
  expect(await dump()).toEqual(before)
}, 15_000)

test('ADMIN_EMAIL and ADMIN_PASSWORD: the first admin is created once, verified, with an argon2id hash and user.created in the outbox', async () => {
  const admin = { ADMIN_EMAIL: 'root@medtrack.example.org', ADMIN_PASSWORD: 'admin password 1' }
  const first = await migrate(admin)
  expect(first.code, first.out).toBe(0)
  expect(first.out).toContain('admin created')
  const second = await migrate(admin)
  expect(second.out).toContain('admin exists')
  const rows = await withDatabase(url, (sql) => sql<{ id: string; role: string; password_hash: string; verified_at: Date | null }[]>`select id, role, password_hash, verified_at from auth.users`)
  expect(rows).toHaveLength(1)
  expect(rows[0]!.role).toBe('admin')
  expect(rows[0]!.password_hash).toStartWith('$argon2id$')
  expect(rows[0]!.verified_at).not.toBeNull()
  const outbox = await withDatabase(url, (sql) => sql<{ event_type: string; envelope: { payload: { user_id: string } } }[]>`select event_type, envelope from auth.outbox`)
  expect(outbox.map((r) => [r.event_type, r.envelope.payload.user_id])).toEqual([['user.created', rows[0]!.id]])
  const bad = await migrate({ ADMIN_EMAIL: 'not-an-email', ADMIN_PASSWORD: 'x' })
  expect(bad.code).not.toBe(0)
  expect(bad.out).toContain('ADMIN_EMAIL')
  expect(bad.out).toContain('ADMIN_PASSWORD')
}, 20_000)

test('a wrong setting or a database that cannot be reached: exit 1 with one log line saying which, no stack trace', async () => {
  for (const [settings, said] of [
    [{ ADMIN_PASSWORD: 'short' }, /"problems":\["ADMIN_PASSWORD: Expected string length greater or equal to 8"\]/],
    [{ DATABASE_URL: 'not a url' }, /"problems":\["DATABASE_URL: not a database URL/],
    [{ DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/medtrack_nowhere` }, /"msg":"could not migrate".*ECONNREFUSED/],
  ] as const) {
    const { code, out } = await migrate(settings)
    expect(code).toBe(1)
    const lines = out.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(said)
    expect(JSON.parse(lines[0]!).level).toBe('error')
  }
})
