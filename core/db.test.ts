import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { createTestDatabase, type TestDatabase } from '../test/database.ts'
import { startProxy } from '../test/tcp-proxy.ts'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AtCommit, classify, CommitUnknownError, openDatabase } from './index.ts'

let database: TestDatabase

beforeAll(async () => {
  database = await createTestDatabase('db')
  await database.db.execute(sql`create table public.notes (id int primary key, text text not null)`)
})
afterAll(() => database.drop())

const notes = async () => ((await database.db.execute(sql`select id, text from public.notes order by id`)) as unknown as { id: number; text: string }[]).map((r) => `${r.id}:${r.text}`)

describe('what PostgreSQL refuses', () => {
  test('a value too large for an index, a duplicate and a malformed value are permanent (never retried); a refused connection is transient', async () => {
    await database.db.execute(sql`create table public.keyed (k text primary key)`)
    const refusal = (query: ReturnType<typeof sql>) => database.db.execute(query).then(() => undefined, (err: unknown) => err)
    // Random, so that compressing it does not make it fit: over btree's 2,704 bytes.
    const tooLarge = await refusal(sql`insert into public.keyed values (${Array.from({ length: 250 }, () => crypto.randomUUID()).join('')})`)
    expect(tooLarge).toMatchObject({ cause: { code: '54000' } })
    await database.db.execute(sql`insert into public.keyed values ('taken')`)
    const duplicate = await refusal(sql`insert into public.keyed values ('taken')`)
    const malformed = await refusal(sql`select ${'nope'}::uuid`)
    expect([tooLarge, duplicate, malformed].map(classify)).toEqual(['permanent', 'permanent', 'permanent'])

    const away = openDatabase('postgres://postgres@127.0.0.1:1/none', { max: 1 })
    const refused = await away.execute(sql`select 1`).then(() => undefined, (err: unknown) => err)
    await away.$client.end()
    expect(classify(refused)).toBe('transient')
  })
})

describe('transactions', () => {
  test('statements returned as AtCommit go out with the COMMIT: what they return comes back, everything is committed', async () => {
    const done = await database.db.transaction(async (tx) => {
      await tx.execute(sql`insert into public.notes values (1, 'work')`)
      return new AtCommit('value', [sql`insert into public.notes values (2, 'tail') returning id`, sql`select count(*)::int as n from public.notes`])
    })
    expect(done.value).toBe('value')
    expect(done.rows).toEqual([[{ id: 2 }], [{ n: 2 }]])
    expect(await notes()).toEqual(['1:work', '2:tail'])
  })

  test('a statement that fails at commit rolls everything back and rejects with its error; the pool stays usable', async () => {
    const failing = database.db.transaction(async (tx) => {
      await tx.execute(sql`insert into public.notes values (3, 'work')`)
      return new AtCommit(null, [sql`insert into public.notes values (4, 'tail')`, sql`insert into public.notes values (1, 'taken')`])
    })
    await expect(failing).rejects.toMatchObject({ code: '23505' })
    expect(await notes()).toEqual(['1:work', '2:tail'])
    await database.db.transaction(async (tx) => tx.execute(sql`insert into public.notes values (5, 'after')`))
    expect(await notes()).toEqual(['1:work', '2:tail', '5:after'])
  })

  test('what the statements at commit carry arrives as it was, whatever it holds', async () => {
    const texts = ["it's \\ \"quoted\"", '$mt$ ends $mt$ here', 'ends $mt', '$$ and $1', 'émoji 🩺, 日本語', '']
    await database.db.transaction(async () => new AtCommit(null, texts.map((t, n) => sql`insert into public.notes values (${100 + n}, ${t})`)))
    const stored = ((await database.db.execute(sql`select text from public.notes where id >= 100 order by id`)) as unknown as { text: string }[]).map((r) => r.text)
    expect(stored).toEqual(texts)
  })
})

describe('connections', () => {
  /** The system-level writes of the sockets made while `fn` runs, counted where a corked socket flushes. */
  async function countWrites(fn: () => Promise<unknown>): Promise<number> {
    const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>
    const original = { _write: proto._write, _writev: proto._writev }
    let writes = 0
    let within = false // a runtime may write a vector as one buffer, through _write
    for (const name of ['_write', '_writev'] as const)
      proto[name] = function (this: unknown, ...args: unknown[]) {
        if (!within) writes++
        const outer = !within
        within = true
        try {
          return original[name].apply(this, args)
        } finally {
          if (outer) within = false
        }
      }
    try {
      await fn()
      return writes
    } finally {
      Object.assign(proto, original)
    }
  }

  test("a transaction's first statement goes with its BEGIN, its last ones with its COMMIT, one write each, however large they are", async () => {
    const db = openDatabase(database.url, { max: 1 })
    try {
      const large = (n: number) => `${n}:${'x'.repeat(4_000)}`
      const run = (from: number) =>
        db.transaction(async (tx) => {
          await tx.execute(sql`insert into public.notes values (${from}, ${large(from)})`)
          return new AtCommit(null, [1, 2, 3].map((n) => sql`insert into public.notes values (${from + n}, ${large(from + n)})`))
        })
      await run(200) // connects and prepares
      expect(await countWrites(() => run(210))).toBe(2)
      expect([...(await db.execute(sql`select count(*)::int as n from public.notes where id between 200 and 213`))]).toEqual([{ n: 8 }])
    } finally {
      await db.$client.end()
    }
  })

  test('the database cut off while transactions hold connections, then back: every transaction begun after it commits', async () => {
    await database.db.execute(sql`create table public.after_cut (lane int, n int, primary key (lane, n))`)
    const toPostgres = await startProxy(Number(new URL(database.url).port))
    const url = new URL(database.url)
    url.port = String(toPostgres.port)
    const db = openDatabase(url.href, { max: 2, connectTimeout: 2 })
    const insert = (lane: number, n: number) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select pg_sleep(0.02)`)
        await tx.execute(sql`insert into public.after_cut values (${lane}, ${n})`)
      })
    try {
      // Three lanes of transactions over two connections (one waiting for a connection), while the connections are dropped and refused.
      let cutting = true
      const lanes = [1, 2, 3].map(async (lane) => {
        for (let n = 0; cutting; n++) await insert(-lane, n).catch(() => Bun.sleep(20))
      })
      await Bun.sleep(200)
      await toPostgres.cut()
      await Bun.sleep(500)
      await toPostgres.restore()
      cutting = false
      await Promise.all(lanes)

      const settled = await Promise.all([1, 2, 3].map(async (lane) => {
        const outcomes: string[] = []
        for (let n = 0; n < 10; n++) outcomes.push(await insert(lane, n).then(() => 'committed', (err: unknown) => String((err as { cause?: Error }).cause?.message ?? err)))
        return outcomes
      }))
      expect(settled).toEqual([1, 2, 3].map(() => Array(10).fill('committed')))
      expect([...(await database.db.execute(sql`select count(*)::int as n from public.after_cut where lane > 0`))]).toEqual([{ n: 30 }])
    } finally {
      await db.$client.end({ timeout: 1 })
      toPostgres.stop()
    }
  })

  test('a COMMIT whose answer is lost with the connection: the transaction fails as one that may have committed (it did), and the pool still ends', async () => {
    await database.db.execute(sql`create table public.unanswered (id int primary key)`)
    const toPostgres = await startProxy(Number(new URL(database.url).port))
    const url = new URL(database.url)
    url.port = String(toPostgres.port)
    const db = openDatabase(url.href, { max: 1 })
    try {
      const losing = db.transaction(async (tx) => {
        await tx.execute(sql`insert into public.unanswered values (1)`)
        // The COMMIT reaches the server; its answer never comes back.
        toPostgres.swallow()
      })
      const failure = losing.then(() => undefined, (err: unknown) => err)
      const committed = async () => (await database.db.execute(sql`select 1 from public.unanswered where id = 1`)).length === 1
      while (!(await committed())) await Bun.sleep(10)
      await toPostgres.cut()
      expect(await failure).toBeInstanceOf(CommitUnknownError)
      expect(classify(await failure)).toBe('transient')
    } finally {
      await db.$client.end()
      toPostgres.stop()
    }
  })

  test('several hosts: one that refuses is passed over for the next', async () => {
    const url = new URL(database.url)
    const db = openDatabase(`postgres://postgres@127.0.0.1:1,${url.host}${url.pathname}`, { max: 1 })
    try {
      expect([...(await db.execute(sql`select 1 as one`))]).toEqual([{ one: 1 }])
    } finally {
      await db.$client.end()
    }
  })

  test('a server that is not there: the query fails with the connection error, it does not hang', async () => {
    const db = openDatabase('postgres://postgres@127.0.0.1:1/nowhere', { max: 1, connectTimeout: 2 })
    try {
      await expect(Promise.resolve(db.execute(sql`select 1`))).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } })
    } finally {
      await db.$client.end({ timeout: 1 })
    }
  })

  test('a server that never answers: the connection times out, and the error names where it tried', async () => {
    const silent = createServer(() => {})
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as { port: number }).port
    const db = openDatabase(`postgres://postgres@127.0.0.1:${port}/nowhere`, { max: 1, connectTimeout: 1 })
    try {
      await expect(Promise.resolve(db.execute(sql`select 1`))).rejects.toMatchObject({ cause: { code: 'CONNECT_TIMEOUT', message: expect.stringContaining(`127.0.0.1:${port}`) } })
    } finally {
      await db.$client.end({ timeout: 1 })
      silent.close()
    }
  })

  test('a server reached through a Unix socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medtrack-pg-'))
    const target = new URL(database.url)
    // The server here listens on TCP only: a Unix socket in front of it, as the server's own would be.
    let accepted = 0
    const proxy = createServer((client) => {
      accepted++
      const server = connect(Number(target.port), target.hostname)
      client.pipe(server).pipe(client)
      client.on('error', () => server.destroy())
      server.on('error', () => client.destroy())
    })
    await new Promise<void>((resolve) => proxy.listen(join(dir, `.s.PGSQL.${target.port}`), resolve))
    // A URL without a host takes PGHOST; a directory there names the socket in it, as with libpq.
    const before = { PGHOST: process.env.PGHOST, PGPORT: process.env.PGPORT, PGUSER: process.env.PGUSER }
    Object.assign(process.env, { PGHOST: dir, PGPORT: target.port, PGUSER: target.username })
    const db = openDatabase(`postgres://${target.pathname}`, { max: 1 })
    for (const [k, v] of Object.entries(before)) if (v === undefined) delete process.env[k]
    else process.env[k] = v
    try {
      expect([...(await db.execute(sql`select 1 as one`))]).toEqual([{ one: 1 }])
      expect(accepted).toBe(1)
    } finally {
      await db.$client.end()
      proxy.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
