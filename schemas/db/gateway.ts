import { pgSchema } from 'drizzle-orm/pg-core'
import { runtimeTables } from './runtime.ts'

export const gatewaySchema = pgSchema('gateway')
/** Inbox, outbox and command results of gateway: exported one by one so drizzle-kit sees them. */
export const gatewayRuntime = runtimeTables(gatewaySchema)
export const { inbox: gatewayInbox, outbox: gatewayOutbox, commandResults: gatewayCommandResults } = gatewayRuntime
