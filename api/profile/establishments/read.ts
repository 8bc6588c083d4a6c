import { asc, count, eq } from 'drizzle-orm'
import { notFound, type Database } from '../../../core/index.ts'
import { establishments } from '../../../schemas/db/profile.ts'
import { establishmentView } from '../../../schemas/views/profile.ts'
import { readPage, type PageRequest } from '../../kit/paging.ts'

export async function getEstablishment(db: Database, id: string) {
  const [row] = await db.select().from(establishments).where(eq(establishments.id, id))
  if (!row) throw notFound('establishment')
  return establishmentView(row)
}

/** Establishments in their natural order, by name then city, one page. */
export function listEstablishments(db: Database, request: PageRequest) {
  return readPage(
    request,
    async (limit, offset) =>
      (await db.select().from(establishments).orderBy(asc(establishments.name), asc(establishments.city), asc(establishments.id)).limit(limit).offset(offset)).map(establishmentView),
    async () => (await db.select({ total: count() }).from(establishments))[0]?.total ?? 0,
  )
}
