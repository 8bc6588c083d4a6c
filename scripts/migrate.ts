/**
 * Creates the database when it is missing and applies the committed migrations.
 * Idempotent: a second run changes nothing.
 *
 *   bun run migrate
 */
import { fileURLToPath } from 'node:url'
import { Type } from '@sinclair/typebox'
import { createLogger, describe, migrateDatabase, openDatabase, settingsOrExit } from '../core/index.ts'
import { ensureAdmin } from '../workers/auth/admin.ts'
import { noArgumentsOrExit } from './cli.ts'

export const MIGRATIONS = fileURLToPath(new URL('../schemas/migrations', import.meta.url))

const Config = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/medtrack' }),
  /** The first admin, created when both are set and no account has that email. */
  ADMIN_EMAIL: Type.Optional(Type.String({ format: 'email' })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8 })),
})

const USAGE = 'usage: bun run migrate   (creates DATABASE_URL\'s database when missing and applies every migration not yet applied; ADMIN_EMAIL and ADMIN_PASSWORD make the first admin)'

if (import.meta.main) {
  noArgumentsOrExit(process.argv.slice(2), USAGE)
  const config = settingsOrExit(Config, process.env, 'migrate')
  const log = createLogger({ service: 'migrate' })
  let database: string
  try {
    database = new URL(config.DATABASE_URL).pathname.slice(1)
    if (!database) throw new Error('it names no database')
  } catch (err) {
    log.error('invalid configuration', { problems: [`DATABASE_URL: not a database URL (${(err as Error).message})`] })
    process.exit(1)
  }
  const created = await migrateDatabase(config.DATABASE_URL, MIGRATIONS).catch((err) => {
    log.error('could not migrate', { database, error: describe(err) })
    process.exit(1)
  })
  log.info('database migrated', { created, database })
  if (config.NODE_ENV === 'production' && config.ADMIN_PASSWORD && /change-?me/i.test(config.ADMIN_PASSWORD)) {
    log.error('ADMIN_PASSWORD: a placeholder password is refused when NODE_ENV=production')
    process.exit(1)
  }
  if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
    const db = openDatabase(config.DATABASE_URL, { max: 1 })
    const made = await ensureAdmin(db, config.ADMIN_EMAIL, config.ADMIN_PASSWORD)
    await db.$client.end()
    log.info(made ? 'admin created' : 'admin exists', { email: config.ADMIN_EMAIL })
  }
}
