import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm'
import { DomainError, notFound, unprocessable, type Actor, type Emit, type Tx } from '../../../core/index.ts'
import { coreEncadrants, offers, stageHistory, stages, stageTracking, studentDirectory } from '../../../schemas/db/core.ts'
import { HOLDS_A_PLACE, judgeTransition, STAGE_TRANSITIONS, type StageAction, type StageRelation, type StageStatus } from '../../../schemas/domain/stages.ts'
import { stageView, stageViews, type StageRow } from '../../../schemas/views/core.ts'
import type { Catalogue, CommandBatchOf, CommandHandlers } from '../../kit/define.ts'
import { encadrantOf, relationsTo } from '../relations.ts'
import { assertPeriod } from '../../../schemas/domain/period.ts'

/** Today's date by the database's clock. */
const today = sql<string>`current_date`

/** What every `stage.*` event carries beside its own fields, so that consumers need no lookup. */
const context = (s: StageRow) => ({ student_id: s.studentId, offer_id: s.offerId, establishment_id: s.establishmentId, ...(s.encadrantId ? { encadrant_id: s.encadrantId } : {}) })

async function record(tx: Tx, stageId: string, status: StageStatus, actor: Actor | undefined, reason?: string) {
  await tx.insert(stageHistory).values({ stageId, status, byUserId: actor?.user_id ?? null, byRole: actor?.role ?? 'core', reason: reason ?? null })
}

/** A place on an offer refused, as the API answers it. */
const offerClosed = () => new DomainError(409, 'OFFER_CLOSED', 'the offer is closed: it takes no new stage', [{ path: '/offer_id', message: 'the offer is closed' }])
const offerFull = (capacity: number) => new DomainError(409, 'OFFER_FULL', `the offer's ${capacity} places are all taken`, [{ path: '/offer_id', message: 'no place is left' }])
const overlap = (other: { id: string; status: string }) =>
  new DomainError(409, 'STAGE_OVERLAP', `the student already has a stage (${other.id}, ${other.status}) in those dates`, [{ path: '/student_id', message: 'already has a stage overlapping those dates' }])

/**
 * Assigns students to offers (admin), all the commands that arrived together
 * at once. The batch's offers are locked first, in id order, so that the
 * count of each offer's places and its new stages are one step however many
 * admins and core workers assign at once (never more stages than places), and
 * two batches never wait for each other's offers in a circle. Each refusal
 * (offer closed or full, dates overlapping another stage of the student, an
 * unknown student or offer) is answered on its own; the rest are made in one
 * statement each for the stages and their history.
 */
export const createStage: CommandBatchOf<'core.create_stage'> = {
  async batch(commands, { tx }) {
    const payloads = commands.map(({ command }) => command.payload)
    const offerIds = [...new Set(payloads.map((p) => p.offer_id))].sort()
    const studentIds = [...new Set(payloads.map((p) => p.student_id))]
    const offerRows = await tx.select().from(offers).where(inArray(offers.id, offerIds)).orderBy(asc(offers.id)).for('update')
    const [studentRows, stagesOfStudents] = await Promise.all([
      tx.select({ studentId: studentDirectory.studentId, deletedAt: studentDirectory.deletedAt }).from(studentDirectory).where(inArray(studentDirectory.studentId, studentIds)),
      tx
        .select({ id: stages.id, status: stages.status, studentId: stages.studentId, startDate: stages.startDate, endDate: stages.endDate })
        .from(stages)
        .where(and(inArray(stages.studentId, studentIds), ne(stages.status, 'cancelled'))),
    ])
    const offerOf = new Map(offerRows.map((o) => [o.id, { ...o }]))
    const known = new Set(studentRows.filter((r) => !r.deletedAt).map((r) => r.studentId))
    const made: StageRow[] = []
    const answers: (DomainError | StageRow)[] = payloads.map((p) => {
      try {
        const offer = offerOf.get(p.offer_id)
        if (!offer) throw unprocessable('unknown offer', [{ path: '/offer_id', message: 'no offer has this id' }])
        if (!known.has(p.student_id)) throw unprocessable('unknown student', [{ path: '/student_id', message: 'no student has this id' }])
        const startDate = p.start_date ?? offer.startDate
        const endDate = p.end_date ?? offer.endDate
        assertPeriod(startDate, endDate, p.end_date ? '/end_date' : '/start_date')
        if (offer.status !== 'open') throw offerClosed()
        if (offer.placesTaken >= offer.capacity) throw offerFull(offer.capacity)
        const other = [...stagesOfStudents, ...made].find((x) => x.studentId === p.student_id && x.startDate <= endDate && x.endDate >= startDate)
        if (other) throw overlap(other)
        offer.placesTaken++
        const now = new Date()
        const stage: StageRow = {
          id: crypto.randomUUID(),
          studentId: p.student_id,
          offerId: offer.id,
          establishmentId: offer.establishmentId,
          encadrantId: null,
          status: 'created',
          startDate,
          endDate,
          actualStartDate: null,
          completionDate: null,
          cancelReason: null,
          createdAt: now,
          updatedAt: now,
        }
        made.push(stage)
        return stage
      } catch (err) {
        if (err instanceof DomainError) return err
        throw err
      }
    })
    if (made.length > 0) {
      await tx.insert(stages).values(made)
      const actors = answers.flatMap((answer, n) => (answer instanceof DomainError ? [] : [commands[n]!.command.actor]))
      await tx.insert(stageHistory).values(made.map((m, n) => ({ stageId: m.id, status: 'created', byUserId: actors[n]!.user_id, byRole: actors[n]!.role, at: m.createdAt })))
      for (const offer of offerRows) {
        const taken = offerOf.get(offer.id)!.placesTaken
        if (taken !== offer.placesTaken) await tx.update(offers).set({ placesTaken: taken, updatedAt: sql`now()` }).where(eq(offers.id, offer.id))
      }
    }
    const views = new Map((await stageViews(tx, made)).map((v) => [v.id, v]))
    return answers.map((answer, n) => {
      if (answer instanceof DomainError) return answer
      commands[n]!.emit('stage.created', { ...context(answer), stage_id: answer.id, student_id: answer.studentId, offer_id: answer.offerId, start_date: answer.startDate, end_date: answer.endDate })
      return { status: 201, body: views.get(answer.id)! }
    })
  },
}

/** Refusals of a move, as the table of STAGE_TRANSITIONS says. */
function refusal(action: StageAction, stage: StageRow, verdict: 'wrong_status' | 'not_theirs'): DomainError {
  if (verdict === 'not_theirs') return new DomainError(403, 'FORBIDDEN', `you may not ${action} this stage`)
  return new DomainError(409, 'INVALID_TRANSITION', `the stage is ${stage.status}: it cannot be ${action === 'cancel' ? 'cancelled' : `${action}ed`} from there by you`, [{ path: '/status', message: `is ${stage.status}` }])
}

/**
 * Moves a stage along (accept, start, complete, cancel) as STAGE_TRANSITIONS
 * allows: a stage the caller has nothing to do with is a 404 (it is not
 * theirs to know of), an action that is not theirs a 403, a status it cannot
 * be taken from a 409 naming the status. `actor` undefined is core itself.
 */
export async function moveStage(
  tx: Tx,
  emit: Emit<Catalogue>,
  actor: Actor | undefined,
  p: { stage_id: string; action: StageAction; encadrant_id?: string; reason?: string },
): Promise<StageRow> {
  const [stage] = await tx.select().from(stages).where(eq(stages.id, p.stage_id)).for('update')
  if (!stage) throw notFound('stage')
  const relations: Set<StageRelation> = actor ? await relationsTo(tx, actor, stage) : new Set(['core'])
  if (relations.size === 0) throw notFound('stage')
  const verdict = judgeTransition(p.action, stage.status as StageStatus, relations)
  if (verdict !== 'allowed') throw refusal(p.action, stage, verdict)
  const to = STAGE_TRANSITIONS[p.action].to
  const set: Partial<StageRow> = { status: to }

  if (p.action === 'accept') set.encadrantId = await acceptingEncadrant(tx, actor!, relations, stage, p.encadrant_id)
  if (p.action === 'cancel') {
    if (!p.reason) throw unprocessable('a cancellation needs its reason', [{ path: '/reason', message: 'is required' }])
    set.cancelReason = p.reason
    if (HOLDS_A_PLACE.includes(stage.status as StageStatus)) await tx.update(offers).set({ placesTaken: sql`${offers.placesTaken} - 1`, updatedAt: sql`now()` }).where(eq(offers.id, stage.offerId))
  }
  const [updated] = await tx
    .update(stages)
    .set({
      ...set,
      ...(p.action === 'start' ? { actualStartDate: today } : {}),
      ...(p.action === 'complete' ? { completionDate: today } : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(stages.id, stage.id))
    .returning()
  const moved = updated!
  await record(tx, moved.id, to, actor, p.reason)
  await keepTracking(tx, moved)

  const extra = context(moved)
  if (p.action === 'accept') emit('stage.accepted', { ...extra, stage_id: moved.id, student_id: moved.studentId, encadrant_id: moved.encadrantId! })
  if (p.action === 'start') emit('stage.started', { ...extra, stage_id: moved.id, actual_start_date: moved.actualStartDate! })
  if (p.action === 'complete') emit('stage.completed', { ...extra, stage_id: moved.id, completion_date: moved.completionDate! })
  if (p.action === 'cancel') emit('stage.cancelled', { ...extra, stage_id: moved.id, reason: p.reason!, status_before: stage.status })
  return moved
}

/** Who becomes the stage's encadrant: the accepting encadrant themself, or the one an admin names (of the stage's establishment). */
async function acceptingEncadrant(tx: Tx, actor: Actor, relations: Set<StageRelation>, stage: StageRow, named: string | undefined): Promise<string> {
  if (relations.has('establishment_encadrant') && !relations.has('admin')) return (await encadrantOf(tx, actor.user_id))!.encadrantId
  if (!named) throw unprocessable('an admin accepting a stage names its encadrant', [{ path: '/encadrant_id', message: 'is required' }])
  const [encadrant] = await tx.select().from(coreEncadrants).where(eq(coreEncadrants.encadrantId, named))
  if (!encadrant) throw unprocessable('unknown encadrant', [{ path: '/encadrant_id', message: 'no encadrant has this id' }])
  if (encadrant.establishmentId !== stage.establishmentId) throw unprocessable('the encadrant is not of the stage\'s establishment', [{ path: '/encadrant_id', message: "is not an encadrant of the stage's establishment" }])
  return named
}

/** The student's tracking follows their stages: in progress while one runs, completed stages counted. */
async function keepTracking(tx: Tx, stage: StageRow) {
  const counts = await tx
    .select({ status: stages.status, n: sql<number>`count(*)::int` })
    .from(stages)
    .where(and(eq(stages.studentId, stage.studentId), inArray(stages.status, ['started', 'completed'])))
    .groupBy(stages.status)
  const of = (status: string) => counts.find((c) => c.status === status)?.n ?? 0
  const status = of('started') > 0 ? 'in_progress' : of('completed') > 0 ? 'completed' : 'not_started'
  await tx.update(stageTracking).set({ status, stagesCompleted: of('completed'), updatedAt: sql`now()` }).where(eq(stageTracking.studentId, stage.studentId))
}

export const moveStageCommand: NonNullable<CommandHandlers['core.move_stage']> = async ({ payload, actor }, { tx, emit }) => {
  const moved = await moveStage(tx, emit, actor, payload)
  return { status: 200, body: (await stageView(tx, moved.id))! }
}
