import { sql } from 'drizzle-orm'
import type { TokenVersionsTable } from '../../schemas/db/runtime.ts'
import type { EventFunction } from './define.ts'

/**
 * The handlers that keep a service's token versions (its `token_versions`
 * table) from auth's events, for its API to refuse tokens on its own:
 * `user.created` gives the account's role, `user.password_changed` its new
 * token version (never going back, whatever order events come in),
 * `user.deleted` retires all its tokens for good. Each is idempotent.
 */
export function tokenVersionHandlers(table: TokenVersionsTable): {
  'user.created': EventFunction<'user.created'>
  'user.password_changed': EventFunction<'user.password_changed'>
  'user.deleted': EventFunction<'user.deleted'>
} {
  const now = sql`now()`
  return {
    async 'user.created'(event, { tx }) {
      const { user_id, role } = event.payload
      // An account's role never changes: the first one heard is kept.
      await tx
        .insert(table)
        .values({ userId: user_id, role })
        .onConflictDoUpdate({ target: table.userId, set: { role: sql`coalesce(${table.role}, excluded.role)`, updatedAt: now } })
    },
    async 'user.password_changed'(event, { tx }) {
      const { user_id, token_version } = event.payload
      const raised = token_version === undefined ? sql`${table.tokenVersion} + 1` : sql`greatest(${table.tokenVersion}, ${token_version})`
      await tx
        .insert(table)
        .values({ userId: user_id, tokenVersion: token_version ?? 1 })
        .onConflictDoUpdate({ target: table.userId, set: { tokenVersion: raised, updatedAt: now } })
    },
    async 'user.deleted'(event, { tx }) {
      await tx
        .insert(table)
        .values({ userId: event.payload.user_id, deletedAt: now })
        .onConflictDoUpdate({ target: table.userId, set: { deletedAt: sql`coalesce(${table.deletedAt}, now())`, updatedAt: now } })
    },
  }
}

/** One handler doing what each of `handlers` does, in order, in the same transaction. */
export function inTurn<E, C>(...handlers: ((event: E, ctx: C) => Promise<void>)[]): (event: E, ctx: C) => Promise<void> {
  return async (event, ctx) => {
    for (const handler of handlers) await handler(event, ctx)
  }
}
