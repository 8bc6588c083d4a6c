import { and, eq, isNull } from 'drizzle-orm'
import { forbidden, notFound, type Database } from '../../../core/index.ts'
import { stageTracking, studentDirectory } from '../../../schemas/db/core.ts'
import type { Caller } from '../../kit/service-api.ts'

export type TrackingRow = typeof stageTracking.$inferSelect

/** A student's stage tracking as the API shows it. */
export function trackingView(r: TrackingRow) {
  return {
    id: r.id,
    student_id: r.studentId,
    status: r.status,
    stages_completed: r.stagesCompleted,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  }
}

/**
 * A student's tracking, as the caller may see it: admins any, a student their own. Encadrants
 * will see the students they supervise once stages exist; until then, none (anyone may register as one).
 */
export async function getTracking(db: Database, caller: Caller, studentId: string) {
  const [row] = await db.select().from(stageTracking).where(eq(stageTracking.studentId, studentId))
  if (!row) throw notFound('stage tracking')
  if (caller.role === 'encadrant') throw forbidden('an encadrant sees only the students they supervise')
  if (caller.role === 'student') {
    const [student] = await db.select({ userId: studentDirectory.userId }).from(studentDirectory).where(and(eq(studentDirectory.studentId, studentId), isNull(studentDirectory.deletedAt)))
    if (student?.userId !== caller.user_id) throw forbidden('a student sees only their own tracking')
  }
  return trackingView(row)
}
