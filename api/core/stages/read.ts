import { and, count, desc, eq, isNull, or, type SQL } from 'drizzle-orm'
import { notFound, type Database } from '../../../core/index.ts'
import { coreEncadrants, stages, studentDirectory } from '../../../schemas/db/core.ts'
import { stageViews } from '../../../schemas/views/core.ts'
import { readPage, type PageRequest } from '../../kit/paging.ts'
import type { Caller } from '../../kit/service-api.ts'

/**
 * The stages a caller may see: an admin all; a student their own; an
 * encadrant those they supervise and the `created` ones of their
 * establishment, waiting for someone to accept them. `undefined`: none.
 */
async function visibleTo(db: Database, caller: Caller): Promise<SQL | undefined | 'none'> {
  if (caller.role === 'admin') return undefined
  if (caller.role === 'student') {
    const [me] = await db.select().from(studentDirectory).where(and(eq(studentDirectory.userId, caller.user_id), isNull(studentDirectory.deletedAt)))
    return me ? eq(stages.studentId, me.studentId) : 'none'
  }
  if (caller.role === 'encadrant') {
    const [me] = await db.select().from(coreEncadrants).where(eq(coreEncadrants.userId, caller.user_id))
    if (!me) return 'none'
    const waiting = me.establishmentId ? and(eq(stages.status, 'created'), eq(stages.establishmentId, me.establishmentId)) : undefined
    return waiting ? or(eq(stages.encadrantId, me.encadrantId), waiting) : eq(stages.encadrantId, me.encadrantId)
  }
  return 'none'
}

/** One stage with its history, for those who may see it; anyone else is told it does not exist (404), as a stage of another student or establishment is not theirs to know of. */
export async function getStage(db: Database, caller: Caller, id: string) {
  const visible = await visibleTo(db, caller)
  if (visible === 'none') throw notFound('stage')
  const [row] = await db.select().from(stages).where(visible ? and(eq(stages.id, id), visible) : eq(stages.id, id))
  if (!row) throw notFound('stage')
  return (await stageViews(db, [row]))[0]
}

/** The stages the caller may see, newest first, filtered, one page. */
export async function listStages(db: Database, caller: Caller, q: PageRequest & { status?: string; offer_id?: string; student_id?: string; encadrant_id?: string }) {
  const visible = await visibleTo(db, caller)
  if (visible === 'none') return readPage(q, async () => [], async () => 0)
  const filters: SQL[] = visible ? [visible] : []
  if (q.status) filters.push(eq(stages.status, q.status))
  if (q.offer_id) filters.push(eq(stages.offerId, q.offer_id))
  if (q.student_id) filters.push(eq(stages.studentId, q.student_id))
  if (q.encadrant_id) filters.push(eq(stages.encadrantId, q.encadrant_id))
  const where = filters.length > 0 ? and(...filters) : undefined
  return readPage(
    q,
    async (limit, offset) => stageViews(db, await db.select().from(stages).where(where).orderBy(desc(stages.createdAt), desc(stages.id)).limit(limit).offset(offset)),
    async () => (await db.select({ total: count() }).from(stages).where(where))[0]?.total ?? 0,
  )
}
