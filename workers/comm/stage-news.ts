import type { StageAccepted, StageCancelled, StageCompleted, StageCreated, StageStarted } from '../../schemas/events/index.ts'
import { typed, type Piece } from '../kit/mail.ts'

/** What a notification says. */
export interface News {
  title: string
  body: string
}

/** The calendar day of an ISO date or date-time. */
const day = (iso: string) => iso.slice(0, 10)

/** The payload of each `stage.*` event that notifies. */
export interface StagePayloads {
  'stage.created': StageCreated
  'stage.accepted': StageAccepted
  'stage.started': StageStarted
  'stage.completed': StageCompleted
  'stage.cancelled': StageCancelled
}
export type StageEvent = keyof StagePayloads

/** What each step of a stage tells its student and its encadrant (for `stage.created`, the establishment's encadrants). */
export const STAGE_NEWS: { [T in StageEvent]: { student(p: StagePayloads[T]): News; encadrant(p: StagePayloads[T]): News } } = {
  'stage.created': {
    student: (p: StageCreated): News => ({
      title: 'A new internship for you',
      body: `You are assigned an internship starting on ${day(p.start_date)}. It waits for a supervisor to accept it.`,
    }),
    encadrant: (p: StageCreated): News => ({
      title: 'An internship waits for a supervisor',
      body: `A student's internship at your establishment, starting on ${day(p.start_date)}, waits for an encadrant to accept it.`,
    }),
  },
  'stage.accepted': {
    student: (): News => ({ title: 'Your internship was accepted', body: 'A supervisor accepted your internship and will follow it.' }),
    encadrant: (): News => ({ title: 'You supervise a new internship', body: 'You are the supervisor of this internship from now on.' }),
  },
  'stage.started': {
    student: (p: StageStarted): News => ({ title: 'Your internship has started', body: `Your internship started on ${day(p.actual_start_date)}.` }),
    encadrant: (p: StageStarted): News => ({ title: 'An internship you supervise has started', body: `The internship started on ${day(p.actual_start_date)}.` }),
  },
  'stage.completed': {
    student: (p: StageCompleted): News => ({ title: 'Your internship is completed', body: `Your internship was completed on ${day(p.completion_date)}. Its evaluation comes next.` }),
    encadrant: (p: StageCompleted): News => ({ title: 'An internship you supervise is completed', body: `The internship was completed on ${day(p.completion_date)}.` }),
  },
  'stage.cancelled': {
    student: (p: StageCancelled): News => ({ title: 'Your internship was cancelled', body: `Your internship was cancelled. Reason: ${p.reason}` }),
    encadrant: (p: StageCancelled): News => ({ title: 'An internship you supervise was cancelled', body: `The internship was cancelled. Reason: ${p.reason}` }),
  },
}

/** What `stage.completed` asks of the stage's encadrant. */
export const evaluationDue = (p: StageCompleted): News => ({
  title: 'An evaluation to write',
  body: `The internship you supervised was completed on ${day(p.completion_date)}: it waits for your evaluation.`,
})

/** The longest reason an email shows; a cancellation's reason is at most 1,000 characters. */
const REASON_MAX = 1_000

/**
 * The steps whose notifications are mailed too, and what each email says
 * beside the notification's title (its subject): the important ones only.
 * The reason, typed by whoever cancelled, is quoted, never our own words.
 */
export const STAGE_MAIL: { [T in StageEvent]?: { student(p: StagePayloads[T]): Piece[]; encadrant(p: StagePayloads[T]): Piece[] } } = {
  'stage.accepted': {
    student: (): Piece[] => ['A supervisor accepted your internship and will follow it.'],
    encadrant: (): Piece[] => ['You are the supervisor of this internship from now on.'],
  },
  'stage.cancelled': {
    student: (p: StageCancelled): Piece[] => ['Your internship was cancelled. Reason: ', typed(p.reason, REASON_MAX)],
    encadrant: (p: StageCancelled): Piece[] => ['The internship you supervise was cancelled. Reason: ', typed(p.reason, REASON_MAX)],
  },
}
