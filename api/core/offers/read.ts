import { and, count, desc, eq, type SQL } from 'drizzle-orm'
import { notFound, type Database } from '../../../core/index.ts'
import { offers } from '../../../schemas/db/core.ts'
import { offerView } from '../../../schemas/views/core.ts'
import { readPage, type PageRequest } from '../../kit/paging.ts'

export async function getOffer(db: Database, id: string) {
  const [row] = await db.select().from(offers).where(eq(offers.id, id))
  if (!row) throw notFound('offer')
  return offerView(row)
}

/** Offers, newest first, filtered by establishment, status and speciality, one page; each with its places taken and left. */
export function listOffers(db: Database, q: PageRequest & { establishment_id?: string; status?: string; speciality?: string }) {
  const filters: SQL[] = []
  if (q.establishment_id) filters.push(eq(offers.establishmentId, q.establishment_id))
  if (q.status) filters.push(eq(offers.status, q.status))
  if (q.speciality) filters.push(eq(offers.speciality, q.speciality))
  const where = filters.length > 0 ? and(...filters) : undefined
  return readPage(
    q,
    async (limit, offset) => (await db.select().from(offers).where(where).orderBy(desc(offers.createdAt), desc(offers.id)).limit(limit).offset(offset)).map(offerView),
    async () => (await db.select({ total: count() }).from(offers).where(where))[0]?.total ?? 0,
  )
}
