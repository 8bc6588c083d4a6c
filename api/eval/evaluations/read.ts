import { and, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm'
import { DomainError, forbidden, notFound, type Database } from '../../../core/index.ts'
import { evaluations, evaluationView } from '../../../schemas/db/eval.ts'
import type { Caller } from '../../kit/service-api.ts'
import { readPage, type PageRequest } from '../../kit/paging.ts'
import { encadrantIdsOf, ownStudentIds, stageOf } from '../callers.ts'

/**
 * The evaluations the caller sees: an admin all; an encadrant those they
 * write (pending and submitted); a student those about them once submitted
 * (a pending one is a draft nobody has written yet).
 */
function visibleTo(db: Database, caller: Caller): SQL | undefined {
  switch (caller.role) {
    case 'admin':
      return undefined
    case 'encadrant':
      return eq(evaluations.evaluatorId, caller.user_id)
    case 'student':
      return and(inArray(evaluations.studentId, ownStudentIds(db, caller)), eq(evaluations.status, 'submitted'))
  }
  return sql`false`
}

export interface EvaluationFilter extends PageRequest {
  stage_id?: string
  student_id?: string
  status?: 'pending' | 'submitted'
}

/** The caller's evaluations, newest first, one page, narrowed by stage, student and status. */
export function listEvaluations(db: Database, caller: Caller, filter: EvaluationFilter) {
  const where = and(
    visibleTo(db, caller),
    filter.stage_id ? eq(evaluations.stageId, filter.stage_id) : undefined,
    filter.student_id ? eq(evaluations.studentId, filter.student_id) : undefined,
    filter.status ? eq(evaluations.status, filter.status) : undefined,
  )
  return readPage(
    filter,
    async (limit, offset) => (await db.select().from(evaluations).where(where).orderBy(desc(evaluations.createdAt), desc(evaluations.id)).limit(limit).offset(offset)).map(evaluationView),
    async () => (await db.select({ total: count() }).from(evaluations).where(where))[0]?.total ?? 0,
  )
}

/**
 * One evaluation, to the people who see it in the list. To anyone else it is
 * a 404, not a 403: whether a stage of someone else has been evaluated (or has
 * an evaluation waiting to be written) is itself not theirs to learn.
 */
export async function getEvaluation(db: Database, caller: Caller, id: string) {
  const [row] = await db.select().from(evaluations).where(and(eq(evaluations.id, id), visibleTo(db, caller)))
  if (!row) throw notFound('evaluation')
  return evaluationView(row)
}

/**
 * Whether the caller may evaluate the stage, answered before the command is
 * sent (the worker checks again as it applies it): 404 naming `/stage_id`
 * for a stage eval has not heard of, 403 for an encadrant who does not
 * supervise it.
 */
export async function assertMayEvaluate(db: Database, caller: Caller, stageId: string): Promise<void> {
  const stage = await stageOf(db, stageId)
  if (!stage) throw new DomainError(404, 'NOT_FOUND', 'stage not found', [{ path: '/stage_id', message: 'no such stage' }])
  if (caller.role === 'admin') return
  if (!stage.encadrantId || !(await encadrantIdsOf(db, caller)).includes(stage.encadrantId)) throw forbidden("only the stage's encadrant or an admin evaluates a stage")
}
