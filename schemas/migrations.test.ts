import { afterAll, expect, test } from 'bun:test'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { dropDatabase, migrateDatabase } from '../core/index.ts'
import { MIGRATIONS } from '../test/database.ts'

const SERVER = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'
const url = `${SERVER}/medtrack_test_upgrade_${crypto.randomUUID().slice(0, 8)}`
const folders: string[] = []

afterAll(async () => {
  await dropDatabase(url)
  for (const folder of folders) await rm(folder, { recursive: true, force: true })
})

interface Journal {
  entries: { idx: number; when: number; tag: string }[]
}

const journalOf = async (folder: string): Promise<Journal> => JSON.parse(await readFile(join(folder, 'meta', '_journal.json'), 'utf8'))

/** The migrations as they stood up to `lastTag`: a database a deployment of then would have. */
async function migrationsUpTo(lastTag: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'medtrack-migrations-'))
  folders.push(folder)
  await cp(MIGRATIONS, folder, { recursive: true })
  const journal = await journalOf(folder)
  const last = journal.entries.findIndex((e) => e.tag === lastTag)
  expect(last).toBeGreaterThan(0)
  journal.entries = journal.entries.slice(0, last + 1)
  await writeFile(join(folder, 'meta', '_journal.json'), JSON.stringify(journal))
  return folder
}

test("each migration is dated after the one before it: the migrator applies only those dated after the newest it applied", async () => {
  const { entries } = await journalOf(MIGRATIONS)
  for (let i = 1; i < entries.length; i++) expect(entries[i]!.when).toBeGreaterThan(entries[i - 1]!.when)
  expect(entries.map((e) => e.idx)).toEqual(entries.map((_, i) => i))
})

test("a database from before comm kept encadrants' addresses gets them from profile on upgrade", async () => {
  await migrateDatabase(url, await migrationsUpTo('0014_comm-messages'))
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const [encadrantId, userId] = [crypto.randomUUID(), crypto.randomUUID()]
    await sql`insert into profile.encadrants (id, user_id, email) values (${encadrantId}, ${userId}, 'house@example.org')`
    await sql`insert into comm.encadrants (encadrant_id, user_id) values (${encadrantId}, ${userId})`
    await migrateDatabase(url, MIGRATIONS)
    const [row] = await sql`select email from comm.encadrants where encadrant_id = ${encadrantId}`
    expect(row?.email).toBe('house@example.org')
    const [documents] = await sql`select count(*)::int as n from comm.documents`
    expect(documents?.n).toBe(0)
  } finally {
    await sql.end()
  }
})
