import { and, count, desc, eq } from 'drizzle-orm'
import { notFound, type Database } from '../../../core/index.ts'
import { documents } from '../../../schemas/db/comm.ts'
import { documentView, type DocumentRow } from '../../../schemas/views/comm.ts'
import { readPage, type PageRequest } from '../../kit/paging.ts'
import type { Caller } from '../../kit/service-api.ts'
import { maySee, visibleDocuments } from './access.ts'

export interface DocumentFilter extends PageRequest {
  student_id?: string
  stage_id?: string
}

/** The documents the caller may see, newest first, one page; another student's list is 403. */
export async function listDocuments(db: Database, caller: Caller, filter: DocumentFilter) {
  const where = and(await visibleDocuments(db, caller, filter.student_id), filter.stage_id === undefined ? undefined : eq(documents.stageId, filter.stage_id))
  const page = await readPage(
    filter,
    (limit, offset) => db.select().from(documents).where(where).orderBy(desc(documents.createdAt), desc(documents.id)).limit(limit).offset(offset),
    async () => (await db.select({ total: count() }).from(documents).where(where))[0]?.total ?? 0,
  )
  return { ...page, items: page.items.map(documentView) }
}

/** A document the caller may see; 404 for one they may not, exactly as for one that does not exist. */
export async function findDocument(db: Database, caller: Caller, id: string): Promise<DocumentRow> {
  const [row] = await db.select().from(documents).where(eq(documents.id, id.toLowerCase()))
  if (!row || !(await maySee(db, caller, row.studentId))) throw notFound('document')
  return row
}
