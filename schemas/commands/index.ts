import type { TSchema } from '@sinclair/typebox'
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

export interface CommandDefinition<P extends TSchema = TSchema> {
  /** The service whose worker applies the command. */
  service: string
  payload: P
}

/** Command type (`S.verb_noun`) → definition: what each API may send to its worker. */
export const commands = {
  'auth.register_user': { service: 'auth', payload: RegisterUser },
  'auth.verify_email': { service: 'auth', payload: VerifyEmail },
  'auth.change_password': { service: 'auth', payload: ChangePassword },
  'auth.set_password': { service: 'auth', payload: SetPassword },
  'auth.delete_user': { service: 'auth', payload: DeleteUser },
  'auth.start_session': { service: 'auth', payload: StartSession },
  'auth.refresh_session': { service: 'auth', payload: RefreshSession },
  'auth.end_session': { service: 'auth', payload: EndSession },
  'auth.end_sessions': { service: 'auth', payload: EndSessions },
  'auth.count_login_attempt': { service: 'auth', payload: CountLoginAttempt },
  'auth.request_password_reset': { service: 'auth', payload: RequestPasswordReset },
  'auth.reset_password': { service: 'auth', payload: ResetPassword },
  'profile.create_student': { service: 'profile', payload: CreateStudent },
  'profile.update_student': { service: 'profile', payload: UpdateStudent },
  'profile.delete_student': { service: 'profile', payload: DeleteStudent },
  'profile.create_encadrant': { service: 'profile', payload: CreateEncadrant },
  'profile.update_encadrant': { service: 'profile', payload: UpdateEncadrant },
  'profile.delete_encadrant': { service: 'profile', payload: DeleteEncadrant },
  'profile.create_establishment': { service: 'profile', payload: CreateEstablishment },
  'profile.update_establishment': { service: 'profile', payload: UpdateEstablishment },
  'profile.delete_establishment': { service: 'profile', payload: DeleteEstablishment },
  'comm.mark_notification_read': { service: 'comm', payload: MarkNotificationRead },
  'comm.register_document': { service: 'comm', payload: RegisterDocument },
  'comm.send_message': { service: 'comm', payload: SendMessage },
  'comm.mark_message_read': { service: 'comm', payload: MarkMessageRead },
  'core.create_offer': { service: 'core', payload: CreateOffer },
  'core.update_offer': { service: 'core', payload: UpdateOffer },
  'core.create_stage': { service: 'core', payload: CreateStage },
  'core.move_stage': { service: 'core', payload: MoveStage },
  'eval.create_evaluation': { service: 'eval', payload: CreateEvaluation },
  'eval.update_evaluation': { service: 'eval', payload: UpdateEvaluation },
  'eval.assign_grade': { service: 'eval', payload: AssignGrade },
  'ops.replay_dead_letters': { service: 'ops', payload: ReplayDeadLetters },
  'ops.purge_dead_letters': { service: 'ops', payload: PurgeDeadLetters },
} as const satisfies Record<string, CommandDefinition>

export type CommandType = keyof typeof commands

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
