import { and, eq, isNull } from 'drizzle-orm'
import type { Database } from '../../core/index.ts'
import { evalEncadrants, evalStages, evalStudents } from '../../schemas/db/eval.ts'
import type { Caller } from '../kit/service-api.ts'

/*
 * Who the caller is to eval, from its own directories (kept from profile's
 * events): a token names an account, a stage names an encadrant or a student.
 */

/** The encadrant ids of the caller's account (none unless an encadrant eval has heard of). */
export async function encadrantIdsOf(db: Database, caller: Caller): Promise<string[]> {
  if (caller.role !== 'encadrant') return []
  return (await db.select({ id: evalEncadrants.encadrantId }).from(evalEncadrants).where(eq(evalEncadrants.userId, caller.user_id))).map((r) => r.id)
}

/** The students the caller's account is (a student's own profile), not deleted, as a subquery. */
export const ownStudentIds = (db: Database, caller: Caller) =>
  db.select({ id: evalStudents.studentId }).from(evalStudents).where(and(eq(evalStudents.userId, caller.user_id), isNull(evalStudents.deletedAt)))

/** The stage, or undefined when eval has not heard of it. */
export async function stageOf(db: Database, stageId: string) {
  const [stage] = await db.select().from(evalStages).where(eq(evalStages.stageId, stageId))
  return stage
}
