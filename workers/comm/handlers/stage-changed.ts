import { TransientError, type Envelope, type Tx } from '../../../core/index.ts'
import type { StageStatus } from '../../../schemas/db/comm.ts'
import type { StageCancelled, StageCompleted } from '../../../schemas/events/index.ts'
import type { EventContext } from '../../kit/define.ts'
import type { Piece } from '../../kit/mail.ts'
import { notify, type Notice } from '../notify.ts'
import { encadrantAccount, establishmentAccounts, studentAccount } from '../recipients.ts'
import { evaluationDue, STAGE_MAIL, STAGE_NEWS, type News, type StageEvent, type StagePayloads } from '../stage-news.ts'
import { recordStage, type StageRow } from '../stages.ts'

/** The status each event moves its stage to. */
const STATUS_AFTER: Record<StageEvent, StageStatus> = {
  'stage.created': 'created',
  'stage.accepted': 'accepted',
  'stage.started': 'started',
  'stage.completed': 'completed',
  'stage.cancelled': 'cancelled',
}

/**
 * The encadrants' accounts a step of the stage notifies. `stage.created`: the
 * encadrants comm knows at the stage's establishment (none known: none), and
 * none once the stage has moved on (an event come late would say it waits);
 * then the stage's encadrant, which `accepted`, `started` and `completed`
 * must have (not heard yet: retried), and `cancelled` has unless it came
 * before anyone accepted the stage.
 */
async function encadrantsOf(tx: Tx, type: StageEvent, stage: StageRow, statusBefore: string | undefined): Promise<string[]> {
  if (type === 'stage.created') return stage.establishmentId && stage.status === 'created' ? establishmentAccounts(tx, stage.establishmentId) : []
  if (stage.encadrantId) return [await encadrantAccount(tx, stage.encadrantId)]
  if (type === 'stage.cancelled' && (statusBefore === undefined || statusBefore === 'created')) return []
  throw new TransientError('STAGE_ENCADRANT_UNKNOWN', `stage ${stage.stageId} has an encadrant comm has not heard of yet`)
}

/**
 * A handler of one `stage.*` event type: records what the event says of the
 * stage, then notifies its student and its encadrants (see `encadrantsOf`),
 * each once for that step of that stage (`<event_type>:<stage_id>:<user_id>`),
 * and on `stage.completed` the encadrant once more, with an evaluation to
 * write (`evaluation_due:<stage_id>:<user_id>`). A recipient comm cannot
 * resolve yet is retried, never left out. The acceptance, the cancellation
 * and the evaluation to write are mailed too (STAGE_MAIL). An acceptance or
 * a start heard after the cancellation notifies nobody.
 */
export function stageChanged<T extends StageEvent>(type: T) {
  return async (event: Envelope<StagePayloads[T]>, { tx, emit, log }: EventContext): Promise<void> => {
    const p = event.payload
    const stage = await recordStage(tx, {
      stageId: p.stage_id,
      status: STATUS_AFTER[type],
      studentId: p.student_id,
      encadrantId: p.encadrant_id,
      establishmentId: p.establishment_id,
    })
    // An acceptance or a start heard once the stage is cancelled (events crossed between two workers,
    // or one redelivered late) is news no more: the cancellation said the last word, and mailed it.
    if (stage.status === 'cancelled' && (type === 'stage.accepted' || type === 'stage.started')) return
    const student = await studentAccount(tx, stage.studentId)
    const statusBefore = type === 'stage.cancelled' ? (p as StageCancelled).status_before : undefined
    const encadrants = await encadrantsOf(tx, type, stage, statusBefore)

    const news = STAGE_NEWS[type]
    const mail = STAGE_MAIL[type]
    const related = { type: 'stage', id: stage.stageId } as const
    const notice = (userId: string, text: News, mailed: Piece[] | undefined): Notice => ({
      userId,
      type: 'stage',
      ...text,
      related,
      dedupeKey: `${type}:${stage.stageId}:${userId}`,
      ...(mailed ? { mail: mailed } : {}),
    })
    const notices = [
      ...(student ? [notice(student, news.student(p), mail?.student(p))] : []),
      ...encadrants.map((userId) => notice(userId, news.encadrant(p), mail?.encadrant(p))),
    ]
    if (type === 'stage.completed') {
      const due = evaluationDue(p as StageCompleted)
      for (const userId of encadrants) notices.push({ userId, type: 'evaluation_due', ...due, related, dedupeKey: `evaluation_due:${stage.stageId}:${userId}`, mail: [due.body] })
    }
    await notify(tx, emit, notices, log)
  }
}
