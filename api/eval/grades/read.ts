import { and, asc, eq, inArray } from 'drizzle-orm'
import { DomainError, forbidden, notFound, type Database } from '../../../core/index.ts'
import { evalStages, evalStudents, grades } from '../../../schemas/db/eval.ts'
import type { Caller } from '../../kit/service-api.ts'
import { encadrantIdsOf, ownStudentIds, stageOf } from '../callers.ts'
import type { Transcript } from './model.ts'

/** A stage eval has not heard of is not graded: 404 naming `/stage_id`. */
export async function assertStageKnown(db: Database, stageId: string): Promise<void> {
  if (!(await stageOf(db, stageId))) throw new DomainError(404, 'NOT_FOUND', 'stage not found', [{ path: '/stage_id', message: 'no such stage' }])
}

/** The student a transcript is asked for: the one named, or a student's own. */
async function studentAskedFor(db: Database, caller: Caller, named: string | undefined): Promise<string> {
  if (named) return named
  if (caller.role !== 'student') throw new DomainError(422, 'VALIDATION_FAILED', 'which student: student_id is required', [{ path: '/query/student_id', message: 'is required' }])
  const [own] = await ownStudentIds(db, caller)
  if (!own) throw notFound('student profile')
  return own.id
}

/** Admins read any transcript; a student their own; an encadrant those of the students whose stage they supervise (403 otherwise). */
async function assertMayRead(db: Database, caller: Caller, studentId: string): Promise<void> {
  if (caller.role === 'admin') return
  if (caller.role === 'student') {
    const own = await ownStudentIds(db, caller)
    if (!own.some((s) => s.id === studentId)) throw forbidden('a student reads only their own transcript')
    return
  }
  const mine = await encadrantIdsOf(db, caller)
  const supervised =
    mine.length > 0 && (await db.select({ id: evalStages.stageId }).from(evalStages).where(and(eq(evalStages.studentId, studentId), inArray(evalStages.encadrantId, mine))).limit(1)).length > 0
  if (!supervised) throw forbidden('an encadrant reads the transcripts of the students they supervise')
}

/**
 * A student's transcript: each graded stage with its final grade, oldest
 * first, and the mean of the grades (to 0.01; null before the first).
 * 404 for a student eval has never heard of.
 */
export async function getTranscript(db: Database, caller: Caller, named: string | undefined): Promise<Transcript> {
  const studentId = await studentAskedFor(db, caller, named)
  await assertMayRead(db, caller, studentId)
  const rows = await db
    .select({ grade: grades, stage: evalStages })
    .from(grades)
    .leftJoin(evalStages, eq(evalStages.stageId, grades.stageId))
    .where(eq(grades.studentId, studentId))
    .orderBy(asc(grades.assignedAt), asc(grades.stageId))
  if (rows.length === 0) {
    const [known] = await db.select({ id: evalStudents.studentId }).from(evalStudents).where(eq(evalStudents.studentId, studentId))
    const [staged] = known ? [known] : await db.select({ id: evalStages.stageId }).from(evalStages).where(eq(evalStages.studentId, studentId)).limit(1)
    if (!staged) throw notFound('student')
  }
  const stages = rows.map(({ grade, stage }) => ({
    stage_id: grade.stageId,
    offer_id: stage?.offerId ?? null,
    establishment_id: stage?.establishmentId ?? null,
    encadrant_id: stage?.encadrantId ?? null,
    completed_on: stage?.completedOn ?? null,
    final_grade: grade.finalGrade,
    assigned_at: grade.assignedAt.toISOString(),
  }))
  const mean = stages.length > 0 ? Math.round((stages.reduce((sum, s) => sum + s.final_grade, 0) / stages.length) * 100) / 100 : null
  return { student_id: studentId, stages, mean }
}
