import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { createTestDatabase, type TestDatabase } from '../test/database.ts'
import { AtCommit } from './index.ts'

let database: TestDatabase

beforeAll(async () => {
  database = await createTestDatabase('db')
  await database.db.execute(sql`create table public.notes (id int primary key, text text not null)`)
})
afterAll(() => database.drop())

const notes = async () => ((await database.db.execute(sql`select id, text from public.notes order by id`)) as unknown as { id: number; text: string }[]).map((r) => `${r.id}:${r.text}`)

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
    const texts = ["it's \\ \"quoted\"", '$mt$ ends $mt$ here', '$$ and $1', 'émoji 🩺, 日本語', '']
    await database.db.transaction(async () => new AtCommit(null, texts.map((t, n) => sql`insert into public.notes values (${100 + n}, ${t})`)))
    const stored = ((await database.db.execute(sql`select text from public.notes where id >= 100 order by id`)) as unknown as { text: string }[]).map((r) => r.text)
    expect(stored).toEqual(texts)
  })
})
