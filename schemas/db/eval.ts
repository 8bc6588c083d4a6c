import { pgSchema } from 'drizzle-orm/pg-core'
import { runtimeTables } from './runtime.ts'

export const evalSchema = pgSchema('eval')
/** Inbox, outbox and command results of eval: exported one by one so drizzle-kit sees them. */
export const evalRuntime = runtimeTables(evalSchema)
export const { inbox: evalInbox, outbox: evalOutbox, commandResults: evalCommandResults } = evalRuntime
