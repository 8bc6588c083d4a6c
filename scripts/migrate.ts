/**
 * Creates the database when it is missing and applies the committed migrations.
 * Idempotent: a second run changes nothing.
 *
 *   bun run migrate
 */
import { fileURLToPath } from 'node:url'
import { Type } from '@sinclair/typebox'
import { sharedJwtSecret } from '../api/kit/secret.ts'
import { createLogger, describe, migrateDatabase, openDatabase, settingsOrExit } from '../core/index.ts'
import { ensureAdmin } from '../workers/auth/admin.ts'
import { noArgumentsOrExit } from './cli.ts'

export const MIGRATIONS = fileURLToPath(new URL('../schemas/migrations', import.meta.url))

const Config = Type.Object({
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/medtrack' }),
  /** Set, the APIs sign with it; unset, migrate makes the platform's own, once, for every API to read. */
  JWT_SECRET: Type.Optional(Type.String()),
  /** The first admin, created when both are set and no account has that email. */
  ADMIN_EMAIL: Type.Optional(Type.String({ format: 'email' })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8 })),
})

const USAGE = 'usage: bun run migrate   (creates DATABASE_URL\'s database when missing and applies every migration not yet applied; without JWT_SECRET, makes the platform\'s own once; ADMIN_EMAIL and ADMIN_PASSWORD make the first admin)'

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
  if (config.ADMIN_PASSWORD && /change-?me/i.test(config.ADMIN_PASSWORD)) {
    log.error('ADMIN_PASSWORD: a placeholder password is refused')
    process.exit(1)
  }
  const db = openDatabase(config.DATABASE_URL, { max: 1 })
  if (config.JWT_SECRET === undefined) {
    await sharedJwtSecret(db)
    log.info("JWT_SECRET unset: the APIs sign with the platform's own, made once at random and kept in the database")
  }
  if (config.ADMIN_EMAIL && config.ADMIN_PASSWORD) {
    const made = await ensureAdmin(db, config.ADMIN_EMAIL, config.ADMIN_PASSWORD)
    log.info(made ? 'admin created' : 'admin exists', { email: config.ADMIN_EMAIL })
  }
  await db.$client.end()
}
