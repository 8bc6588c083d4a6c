import { and, asc, eq, inArray, isNull, ne } from 'drizzle-orm'
import { forbidden, notFound, type Database } from '../../../core/index.ts'
import { coreEncadrants, stageGrades, stages, stageTracking, studentDirectory } from '../../../schemas/db/core.ts'
import { STAGE_STATUSES } from '../../../schemas/domain/stages.ts'
import { stageViews } from '../../../schemas/views/core.ts'
import type { Caller } from '../../kit/service-api.ts'
import type { TrackedStage, TrackingView } from './model.ts'

export type TrackingRow = typeof stageTracking.$inferSelect

/**
 * Whether the caller may see the student's tracking: admins any, a student
 * their own, an encadrant the students of a stage they accepted that is not
 * cancelled (403 otherwise).
 */
async function assertMaySee(db: Database, caller: Caller, studentId: string) {
  if (caller.role === 'admin') return
  if (caller.role === 'student') {
    const [student] = await db.select({ userId: studentDirectory.userId }).from(studentDirectory).where(and(eq(studentDirectory.studentId, studentId), isNull(studentDirectory.deletedAt)))
    if (student?.userId !== caller.user_id) throw forbidden('a student sees only their own tracking')
    return
  }
  const [supervised] = await db
    .select({ id: stages.id })
    .from(stages)
    .innerJoin(coreEncadrants, eq(coreEncadrants.encadrantId, stages.encadrantId))
    .where(and(eq(coreEncadrants.userId, caller.user_id), eq(stages.studentId, studentId), ne(stages.status, 'cancelled')))
    .limit(1)
  if (!supervised) throw forbidden('an encadrant sees only the students they supervise')
}

/** A student's tracking: its summary, the stages by status, the current one (started, else the next accepted), and each completed stage's final grade. */
export async function getTracking(db: Database, caller: Caller, studentId: string): Promise<TrackingView> {
  const [row] = await db.select().from(stageTracking).where(eq(stageTracking.studentId, studentId))
  if (!row) throw notFound('stage tracking')
  await assertMaySee(db, caller, studentId)
  const rows = await db.select().from(stages).where(eq(stages.studentId, studentId)).orderBy(asc(stages.startDate), asc(stages.id))
  const views = await stageViews(db, rows)
  const grades = rows.length > 0 ? await db.select().from(stageGrades).where(inArray(stageGrades.stageId, rows.map((r) => r.id))) : []
  const gradeOf = new Map(grades.map((g) => [g.stageId, g.finalGrade]))
  const withGrades: TrackedStage[] = views.map((v) => ({ ...v, final_grade: gradeOf.get(v.id) ?? null }))
  const byStatus = Object.fromEntries(STAGE_STATUSES.map((s) => [s, withGrades.filter((v) => v.status === s)])) as TrackingView['stages']
  const current = withGrades.find((v) => v.status === 'started') ?? withGrades.find((v) => v.status === 'accepted') ?? null
  return {
    id: row.id,
    student_id: row.studentId,
    status: row.status,
    stages_completed: row.stagesCompleted,
    current,
    stages: byStatus,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  }
}
