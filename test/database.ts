import { fileURLToPath } from 'node:url'
import { dropDatabase, migrateDatabase, openDatabase, type Database } from '../core/index.ts'

export const MIGRATIONS = fileURLToPath(new URL('../schemas/migrations', import.meta.url))
const SERVER = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'

export interface TestDatabase {
  url: string
  db: Database
  /** Closes the pool and drops the database. */
  drop(): Promise<void>
}

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(label = 't'): Promise<TestDatabase> {
  const url = `${SERVER}/medtrack_test_${label}_${crypto.randomUUID().slice(0, 8)}`
  await migrateDatabase(url, MIGRATIONS)
  const db = openDatabase(url, { max: 2 })
  return {
    url,
    db,
    async drop() {
      await db.$client.end({ timeout: 1 })
      await dropDatabase(url)
    },
  }
}
