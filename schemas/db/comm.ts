import { pgSchema } from 'drizzle-orm/pg-core'
import { runtimeTables } from './runtime.ts'

export const commSchema = pgSchema('comm')
/** Inbox, outbox and command results of comm: exported one by one so drizzle-kit sees them. */
export const commRuntime = runtimeTables(commSchema)
export const { inbox: commInbox, outbox: commOutbox, commandResults: commCommandResults } = commRuntime
