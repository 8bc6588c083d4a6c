/**
 * The MedTrack event catalogue (docs/events.md, printed from it): event type → payload schema,
 * version and producers. The publisher, every consumer and the gateway
 * validate against it with `compileCatalogue(catalogue)` from core.
 */
import type { Static } from '@sinclair/typebox'
import type { Catalogue } from '../../core/catalogue.ts'
import { UserCreated, UserDeleted, UserPasswordChanged, UserVerified } from './auth.ts'
import {
  EncadrantCreated,
  EncadrantUpdated,
  EstablishmentCreated,
  StudentCreated,
  StudentDeleted,
  StudentUpdated,
} from './profile.ts'
import {
  OfferCreated,
  OfferUpdated,
  StageAccepted,
  StageCancelled,
  StageCompleted,
  StageCreated,
  StageStarted,
  StageTrackingInitialized,
} from './core.ts'
import { DocumentUploaded, EmailFailed, EmailSent, MessageSent, NotificationCreated } from './comm.ts'
import { EvaluationCreated, EvaluationUpdated, GradeAssigned } from './eval.ts'
import { DeadLettersPurged, DeadLettersReplayed } from './ops.ts'

export * from './auth.ts'
export * from './profile.ts'
export * from './core.ts'
export * from './comm.ts'
export * from './eval.ts'
export * from './ops.ts'
export { ISO_DATE_PATTERN } from './fields.ts'
export { asyncApiDocument, type AsyncApiOptions } from './asyncapi.ts'

export const catalogue = {
  'user.created': {
    version: '1.0',
    producer: ['auth'],
    description: 'A user registered or was created by an admin; profile creates the matching student or encadrant profile.',
    payload: UserCreated,
  },
  'user.verified': {
    version: '1.0',
    producer: ['auth'],
    description: 'A user verified their email address.',
    payload: UserVerified,
  },
  'user.password_changed': {
    version: '1.0',
    producer: ['auth'],
    description: 'A user set or changed their password.',
    payload: UserPasswordChanged,
  },
  'user.deleted': {
    version: '1.0',
    producer: ['auth'],
    description: 'A user account was deleted.',
    payload: UserDeleted,
  },
  'student.created': {
    version: '1.0',
    producer: ['profile'],
    description: 'A student profile was created; comm welcomes, auth ensures the account, core initialises tracking.',
    payload: StudentCreated,
  },
  'student.updated': {
    version: '1.0',
    producer: ['profile'],
    description: 'A student profile changed.',
    payload: StudentUpdated,
  },
  'student.deleted': {
    version: '1.0',
    producer: ['profile'],
    description: 'A student profile was deleted.',
    payload: StudentDeleted,
  },
  'encadrant.created': {
    version: '1.0',
    producer: ['profile'],
    description: 'An encadrant (supervisor) profile was created.',
    payload: EncadrantCreated,
  },
  'encadrant.updated': {
    version: '1.0',
    producer: ['profile'],
    description: 'An encadrant profile changed.',
    payload: EncadrantUpdated,
  },
  'establishment.created': {
    version: '1.0',
    producer: ['profile'],
    description: 'An establishment (hospital) was created.',
    payload: EstablishmentCreated,
  },
  'offer.created': {
    version: '1.0',
    producer: ['core'],
    description: 'An internship offer was posted.',
    payload: OfferCreated,
  },
  'offer.updated': {
    version: '1.0',
    producer: ['core'],
    description: 'An internship offer changed.',
    payload: OfferUpdated,
  },
  'stage.created': {
    version: '1.0',
    producer: ['core'],
    description: 'A stage was created from an offer for a student.',
    payload: StageCreated,
  },
  'stage.accepted': {
    version: '1.0',
    producer: ['core'],
    description: 'A stage was accepted; comm notifies the student.',
    payload: StageAccepted,
  },
  'stage.started': {
    version: '1.0',
    producer: ['core'],
    description: 'A stage started.',
    payload: StageStarted,
  },
  'stage.completed': {
    version: '1.0',
    producer: ['core'],
    description: 'A stage was completed; eval opens its evaluation.',
    payload: StageCompleted,
  },
  'stage.cancelled': {
    version: '1.0',
    producer: ['core'],
    description: 'A stage was cancelled before completion.',
    payload: StageCancelled,
  },
  'stage.tracking_initialized': {
    version: '1.0',
    producer: ['core'],
    description: 'Stage tracking was initialised for a new student.',
    payload: StageTrackingInitialized,
  },
  'message.sent': {
    version: '1.0',
    producer: ['comm'],
    description: 'A message was sent between two users.',
    payload: MessageSent,
  },
  'notification.created': {
    version: '1.0',
    producer: ['comm'],
    description: 'A notification was created for a user.',
    payload: NotificationCreated,
  },
  'document.uploaded': {
    version: '1.0',
    producer: ['comm'],
    description: 'A document was uploaded for a student.',
    payload: DocumentUploaded,
  },
  'email.sent': {
    version: '1.0',
    producer: ['auth', 'comm'],
    description: 'An email was sent.',
    payload: EmailSent,
  },
  'email.failed': {
    version: '1.0',
    producer: ['auth', 'comm'],
    description: 'An email could not be sent.',
    payload: EmailFailed,
  },
  'evaluation.created': {
    version: '1.0',
    producer: ['eval'],
    description: 'A stage was evaluated.',
    payload: EvaluationCreated,
  },
  'evaluation.updated': {
    version: '1.0',
    producer: ['eval'],
    description: 'An evaluation score changed.',
    payload: EvaluationUpdated,
  },
  'grade.assigned': {
    version: '1.0',
    producer: ['eval'],
    description: 'A final grade was assigned; comm notifies the student.',
    payload: GradeAssigned,
  },
  'dead_letters.replayed': {
    version: '1.0',
    producer: ['ops'],
    description: 'An operator replayed dead letters of a service; the audit trail keeps who and which.',
    payload: DeadLettersReplayed,
  },
  'dead_letters.purged': {
    version: '1.0',
    producer: ['ops'],
    description: 'An operator purged dead letters of a service; the audit trail keeps who and which.',
    payload: DeadLettersPurged,
  },
} as const satisfies Catalogue

export type EventType = keyof typeof catalogue
export type EventPayload<T extends EventType> = Static<(typeof catalogue)[T]['payload']>
