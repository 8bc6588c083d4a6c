/** Events produced by the auth service: the lifecycle of a user account. */
import { Type, type Static } from '@sinclair/typebox'
import { Email, Name, Uuid } from './fields.ts'

/** Who a user is in MedTrack; decides which profile is created and what the APIs allow. */
export const Role = Type.Union([Type.Literal('student'), Type.Literal('encadrant'), Type.Literal('admin')], {
  description: 'student, encadrant (supervisor) or admin',
})
export type Role = Static<typeof Role>

export const UserCreated = Type.Object(
  {
    user_id: Uuid,
    email: Email,
    role: Role,
    first_name: Name,
    last_name: Name,
    profile_id: Type.Optional({ ...Uuid, description: 'set when the account was made for an existing student or encadrant: its id' }),
  },
  { description: 'A user account was created, by registration, by an admin, or for a student or encadrant created first; not yet verified.' },
)
export type UserCreated = Static<typeof UserCreated>

export const UserVerified = Type.Object(
  { user_id: Uuid, email: Email },
  { description: 'The user proved they own their email address.' },
)
export type UserVerified = Static<typeof UserVerified>

export const UserPasswordChanged = Type.Object(
  {
    user_id: Uuid,
    token_version: Type.Optional(
      Type.Integer({ minimum: 0, description: "the account's token version from now on: tokens issued with an older one are retired (absent: one more than before)" }),
    ),
  },
  { description: 'The user set or changed their password; the tokens issued before stop working. Never carries the password.' },
)
export type UserPasswordChanged = Static<typeof UserPasswordChanged>

export const UserDeleted = Type.Object(
  { user_id: Uuid },
  { description: 'The user account was deleted.' },
)
export type UserDeleted = Static<typeof UserDeleted>
