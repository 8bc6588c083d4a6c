/** Commands the auth worker applies. Passwords travel only as argon2id hashes. */
import { Type, type Static } from '@sinclair/typebox'
import { Email, Text, Uuid } from '../events/fields.ts'

export const RegisterUser = Type.Object({
  email: Email,
  password_hash: Text,
  role: Type.Union([Type.Literal('student'), Type.Literal('encadrant')]),
  first_name: Text,
  last_name: Text,
})
export type RegisterUser = Static<typeof RegisterUser>

/** Marks the address verified; `token` is the one mailed to the user. */
export const VerifyEmail = Type.Object({ token: Text })
export type VerifyEmail = Static<typeof VerifyEmail>

export const ChangePassword = Type.Object({ user_id: Uuid, password_hash: Text })
export type ChangePassword = Static<typeof ChangePassword>

/** Sets the first password of an account made without one, with the mailed token. */
export const SetPassword = Type.Object({ token: Text, password_hash: Text })
export type SetPassword = Static<typeof SetPassword>

export const DeleteUser = Type.Object({ user_id: Uuid })
export type DeleteUser = Static<typeof DeleteUser>
