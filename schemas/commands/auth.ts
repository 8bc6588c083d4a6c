/** Commands the auth worker applies. Passwords travel only as argon2id hashes, mailed tokens only as SHA-256 hashes. */
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

/** The hex SHA-256 of a mailed one-time token (`hashToken` of `workers/auth/tokens.ts`): the token itself never travels. */
const TokenHash = Type.String({ pattern: '^[0-9a-f]{64}$' })

/** Marks the address verified; `token_hash` is the hash of the token mailed to the user. */
export const VerifyEmail = Type.Object({ token_hash: TokenHash })
export type VerifyEmail = Static<typeof VerifyEmail>

export const ChangePassword = Type.Object({ user_id: Uuid, password_hash: Text })
export type ChangePassword = Static<typeof ChangePassword>

/** Sets the first password of an account made without one, with the hash of the mailed token. */
export const SetPassword = Type.Object({ token_hash: TokenHash, password_hash: Text })
export type SetPassword = Static<typeof SetPassword>

export const DeleteUser = Type.Object({ user_id: Uuid })
export type DeleteUser = Static<typeof DeleteUser>
