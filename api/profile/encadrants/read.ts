import { count, desc, eq } from 'drizzle-orm'
import { forbidden, notFound, type Database } from '../../../core/index.ts'
import { encadrants } from '../../../schemas/db/profile.ts'
import { encadrantView } from '../../../schemas/views/profile.ts'
import type { Caller } from '../../kit/service-api.ts'
import { readPage, type PageRequest } from '../../kit/paging.ts'

/** One encadrant, as the caller may see it: admins any, an encadrant only their own (403). */
export async function getEncadrant(db: Database, caller: Caller, id: string) {
  const [row] = await db.select().from(encadrants).where(eq(encadrants.id, id))
  if (!row) throw notFound('encadrant')
  if (caller.role !== 'admin' && row.userId !== caller.user_id) throw forbidden('an encadrant sees only their own profile')
  return encadrantView(row)
}

/** The caller's own encadrant profile; 404 when their account has none. */
export async function ownEncadrant(db: Database, caller: Caller) {
  const [row] = await db.select().from(encadrants).where(eq(encadrants.userId, caller.user_id))
  if (!row) throw notFound('encadrant profile')
  return encadrantView(row)
}

/** Encadrants, newest first, one page. */
export function listEncadrants(db: Database, request: PageRequest) {
  return readPage(
    request,
    async (limit, offset) => (await db.select().from(encadrants).orderBy(desc(encadrants.createdAt), desc(encadrants.id)).limit(limit).offset(offset)).map(encadrantView),
    async () => (await db.select({ total: count() }).from(encadrants))[0]?.total ?? 0,
  )
}
