import { pgSchema } from 'drizzle-orm/pg-core'
import { runtimeTables } from './runtime.ts'

export const authSchema = pgSchema('auth')
/** Inbox, outbox and command results of auth: exported one by one so drizzle-kit sees them. */
export const authRuntime = runtimeTables(authSchema)
export const { inbox: authInbox, outbox: authOutbox, commandResults: authCommandResults } = authRuntime
