import { and, eq, isNull } from 'drizzle-orm'
import type { Actor, Tx } from '../../core/index.ts'
import { coreEncadrants, studentDirectory } from '../../schemas/db/core.ts'
import type { StageRelation } from '../../schemas/domain/stages.ts'

/** The encadrant an account is, as core knows it, if any. */
export async function encadrantOf(tx: Tx, userId: string | null) {
  if (!userId) return undefined
  const [row] = await tx.select().from(coreEncadrants).where(eq(coreEncadrants.userId, userId))
  return row
}

/** The student an account is, as core knows it (not deleted), if any. */
export async function studentOf(tx: Tx, userId: string | null) {
  if (!userId) return undefined
  const [row] = await tx.select().from(studentDirectory).where(and(eq(studentDirectory.userId, userId), isNull(studentDirectory.deletedAt)))
  return row
}

/** Who the actor is to a stage (see STAGE_TRANSITIONS): none at all for a stage of another student or establishment. */
export async function relationsTo(tx: Tx, actor: Actor, stage: { studentId: string; establishmentId: string; encadrantId: string | null }): Promise<Set<StageRelation>> {
  const relations = new Set<StageRelation>()
  if (actor.role === 'admin') relations.add('admin')
  if (actor.role === 'encadrant') {
    const me = await encadrantOf(tx, actor.user_id)
    if (me && stage.encadrantId === me.encadrantId) relations.add('stage_encadrant')
    if (me && me.establishmentId === stage.establishmentId) relations.add('establishment_encadrant')
  }
  if (actor.role === 'student') {
    const me = await studentOf(tx, actor.user_id)
    if (me && me.studentId === stage.studentId) relations.add('student')
  }
  return relations
}
