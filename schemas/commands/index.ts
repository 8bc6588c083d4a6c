import type { Static, TSchema } from '@sinclair/typebox'
import { EvaluationView, GradeView } from '../db/eval.ts'
import { AttemptCounted, LoggedOut, LoggedOutEverywhere, ResetTaken, SessionRenewed, SessionStarted, UserView, Verified } from '../views/auth.ts'
import { DocumentView } from '../views/comm.ts'
import { OfferView, StageView } from '../views/core.ts'
import { Deleted } from '../views/fields.ts'
import { MessageView } from '../views/messages.ts'
import { NotificationView } from '../views/notifications.ts'
import { Replayed, Purged } from '../views/ops.ts'
import { EncadrantView, EstablishmentView, StudentView } from '../views/profile.ts'
import { ChangePassword, DeleteUser, EndSession, EndSessions, CountLoginAttempt, RefreshSession, RegisterUser, RequestPasswordReset, ResetPassword, SetPassword, StartSession, VerifyEmail } from './auth.ts'
import { MarkMessageRead, MarkNotificationRead, RegisterDocument, SendMessage } from './comm.ts'
import { CreateOffer, CreateStage, MoveStage, UpdateOffer } from './core.ts'
import { AssignGrade, CreateEvaluation, UpdateEvaluation } from './eval.ts'
import { PurgeDeadLetters, ReplayDeadLetters } from './ops.ts'
import {
  CreateEncadrant,
  CreateEstablishment,
  CreateStudent,
  DeleteEncadrant,
  DeleteEstablishment,
  DeleteStudent,
  UpdateEncadrant,
  UpdateEstablishment,
  UpdateStudent,
} from './profile.ts'

/** What a command's worker answers when it applied it: the HTTP status, and its body's schema. */
export interface CommandAnswer<S extends number = number, B extends TSchema = TSchema> {
  status: S
  body: B
}

const answers = <const S extends number, B extends TSchema>(status: S, body: B): CommandAnswer<S, B> => ({ status, body })

export interface CommandDefinition<P extends TSchema = TSchema> {
  /** The service whose worker applies the command. */
  service: string
  payload: P
  /** Its answer when applied; a refusal is an error answer (the error body, with a 4xx status). */
  result: CommandAnswer
}

/** Command type (`S.verb_noun`) → definition: what each API may send to its worker, and what the worker answers. */
export const commands = {
  'auth.register_user': { service: 'auth', payload: RegisterUser, result: answers(201, UserView) },
  'auth.verify_email': { service: 'auth', payload: VerifyEmail, result: answers(200, Verified) },
  'auth.change_password': { service: 'auth', payload: ChangePassword, result: answers(200, UserView) },
  'auth.set_password': { service: 'auth', payload: SetPassword, result: answers(200, UserView) },
  'auth.delete_user': { service: 'auth', payload: DeleteUser, result: answers(200, Deleted) },
  'auth.start_session': { service: 'auth', payload: StartSession, result: answers(201, SessionStarted) },
  'auth.refresh_session': { service: 'auth', payload: RefreshSession, result: answers(200, SessionRenewed) },
  'auth.end_session': { service: 'auth', payload: EndSession, result: answers(200, LoggedOut) },
  'auth.end_sessions': { service: 'auth', payload: EndSessions, result: answers(200, LoggedOutEverywhere) },
  'auth.count_login_attempt': { service: 'auth', payload: CountLoginAttempt, result: answers(200, AttemptCounted) },
  'auth.request_password_reset': { service: 'auth', payload: RequestPasswordReset, result: answers(202, ResetTaken) },
  'auth.reset_password': { service: 'auth', payload: ResetPassword, result: answers(200, UserView) },
  'profile.create_student': { service: 'profile', payload: CreateStudent, result: answers(201, StudentView) },
  'profile.update_student': { service: 'profile', payload: UpdateStudent, result: answers(200, StudentView) },
  'profile.delete_student': { service: 'profile', payload: DeleteStudent, result: answers(200, Deleted) },
  'profile.create_encadrant': { service: 'profile', payload: CreateEncadrant, result: answers(201, EncadrantView) },
  'profile.update_encadrant': { service: 'profile', payload: UpdateEncadrant, result: answers(200, EncadrantView) },
  'profile.delete_encadrant': { service: 'profile', payload: DeleteEncadrant, result: answers(200, Deleted) },
  'profile.create_establishment': { service: 'profile', payload: CreateEstablishment, result: answers(201, EstablishmentView) },
  'profile.update_establishment': { service: 'profile', payload: UpdateEstablishment, result: answers(200, EstablishmentView) },
  'profile.delete_establishment': { service: 'profile', payload: DeleteEstablishment, result: answers(200, Deleted) },
  'comm.mark_notification_read': { service: 'comm', payload: MarkNotificationRead, result: answers(200, NotificationView) },
  'comm.register_document': { service: 'comm', payload: RegisterDocument, result: answers(201, DocumentView) },
  'comm.send_message': { service: 'comm', payload: SendMessage, result: answers(201, MessageView) },
  'comm.mark_message_read': { service: 'comm', payload: MarkMessageRead, result: answers(200, MessageView) },
  'core.create_offer': { service: 'core', payload: CreateOffer, result: answers(201, OfferView) },
  'core.update_offer': { service: 'core', payload: UpdateOffer, result: answers(200, OfferView) },
  'core.create_stage': { service: 'core', payload: CreateStage, result: answers(201, StageView) },
  'core.move_stage': { service: 'core', payload: MoveStage, result: answers(200, StageView) },
  'eval.create_evaluation': { service: 'eval', payload: CreateEvaluation, result: answers(201, EvaluationView) },
  'eval.update_evaluation': { service: 'eval', payload: UpdateEvaluation, result: answers(200, EvaluationView) },
  'eval.assign_grade': { service: 'eval', payload: AssignGrade, result: answers(201, GradeView) },
  'ops.replay_dead_letters': { service: 'ops', payload: ReplayDeadLetters, result: answers(200, Replayed) },
  'ops.purge_dead_letters': { service: 'ops', payload: PurgeDeadLetters, result: answers(200, Purged) },
} as const satisfies Record<string, CommandDefinition>

export type CommandType = keyof typeof commands

/** The payload of a command type. */
export type CommandPayload<K extends CommandType> = Static<(typeof commands)[K]['payload']>

/** What the worker answers a command of type K with when it applied it: its status and body. */
export type CommandSuccess<K extends CommandType> = K extends CommandType ? { status: (typeof commands)[K]['result']['status']; body: Static<(typeof commands)[K]['result']['body']> } : never

/** The command types each service's queue is bound to. */
export function commandBindings(): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [type, def] of Object.entries(commands)) (out[def.service] ??= []).push(type)
  return out
}

export * from './auth.ts'
export * from './comm.ts'
export * from './core.ts'
export * from './eval.ts'
export * from './profile.ts'
