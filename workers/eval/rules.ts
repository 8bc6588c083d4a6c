import { eq } from 'drizzle-orm'
import { DomainError, forbidden, type Actor, type Tx } from '../../core/index.ts'
import { evalEncadrants, evalStages, grades, type Criterion, type GradeRow } from '../../schemas/db/eval.ts'
import type { StageRow } from './stage-read-model.ts'

/**
 * The stage a command is about, locked until the command commits: the
 * evaluations and the grade of one stage change one command at a time, so an
 * evaluation cannot change while its stage is being graded. 404 naming `/stage_id`.
 */
export async function lockStage(tx: Tx, stageId: string): Promise<StageRow> {
  const [stage] = await tx.select().from(evalStages).where(eq(evalStages.stageId, stageId)).for('update')
  if (!stage) throw new DomainError(404, 'NOT_FOUND', 'stage not found', [{ path: '/stage_id', message: 'no such stage' }])
  return stage
}

/** Whether the actor is the account of the stage's encadrant. */
export async function supervises(tx: Tx, stage: StageRow, actor: Actor): Promise<boolean> {
  if (actor.role !== 'encadrant' || !stage.encadrantId || !actor.user_id) return false
  const [encadrant] = await tx.select({ userId: evalEncadrants.userId }).from(evalEncadrants).where(eq(evalEncadrants.encadrantId, stage.encadrantId))
  return encadrant?.userId === actor.user_id
}

/** Only the stage's encadrant or an admin evaluates a stage (403). */
export async function assertMayEvaluate(tx: Tx, stage: StageRow, actor: Actor): Promise<void> {
  if (actor.role !== 'admin' && !(await supervises(tx, stage, actor))) throw forbidden("only the stage's encadrant or an admin evaluates a stage")
}

/** A stage that is not completed is not evaluated (409 naming its status). */
export function assertCompleted(stage: StageRow): void {
  if (stage.status !== 'completed') {
    throw new DomainError(409, 'STAGE_NOT_COMPLETED', `the stage is ${stage.status}: only a completed stage is evaluated`, [
      { path: '/stage_id', message: `the stage is ${stage.status}, not completed` },
    ])
  }
}

/** Once a stage's grade is assigned its evaluations are final (409 GRADE_ASSIGNED). */
export async function assertNotGraded(tx: Tx, stageId: string): Promise<void> {
  const [grade] = await tx.select().from(grades).where(eq(grades.stageId, stageId))
  if (grade) throw gradeAssigned(grade)
}

export const gradeAssigned = (grade: GradeRow) =>
  new DomainError(409, 'GRADE_ASSIGNED', `the stage's final grade is assigned (${grade.finalGrade} on ${grade.assignedAt.toISOString()}): its evaluations and grade are final`)

/** Criteria as stored: each `{name, score}` in that order, whatever else or in whatever order they came, so that the same marks compare equal. */
export const storedCriteria = (criteria: Criterion[]): Criterion[] => criteria.map(({ name, score }) => ({ name, score }))
