import { pgSchema, text, timestamp } from 'drizzle-orm/pg-core'

/** What every process of the platform shares beside the services' own schemas. */
export const platformSchema = pgSchema('platform')

/**
 * Secrets the processes share, each generated at random once (by `bun run
 * migrate`, or the first process that needs it) when the environment gives
 * none: `jwt`, the key access tokens are signed with.
 */
export const secrets = platformSchema.table('secrets', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
})
