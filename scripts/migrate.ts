/**
 * Creates the database when it is missing and applies the committed migrations.
 * Idempotent: a second run changes nothing.
 *
 *   bun run migrate
 */
import { fileURLToPath } from 'node:url'
import { Type } from '@sinclair/typebox'
import { createLogger, migrateDatabase, parseConfig } from '../core/index.ts'

export const MIGRATIONS = fileURLToPath(new URL('../schemas/migrations', import.meta.url))

const Config = Type.Object({
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/medtrack' }),
})

if (import.meta.main) {
  const config = parseConfig(Config, process.env)
  const log = createLogger({ service: 'migrate' })
  const created = await migrateDatabase(config.DATABASE_URL, MIGRATIONS)
  log.info('database migrated', { created, database: new URL(config.DATABASE_URL).pathname.slice(1) })
}
