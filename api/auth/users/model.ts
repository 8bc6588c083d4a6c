import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { personName } from '../../kit/fields.ts'
import { feature } from '../../kit/openapi.ts'

const Password = t.String({ minLength: 1, maxLength: 200 })
const Name = personName(100)

export const Register = t.Object({
  email: t.String({ format: 'email', maxLength: 254 }),
  password: Password,
  role: t.Union([t.Literal('student'), t.Literal('encadrant')]),
  first_name: Name,
  last_name: Name,
})

export const Verify = t.Object({ token: t.String({ minLength: 1 }) })
export const ChangePassword = t.Object({ current_password: t.String({ minLength: 1 }), new_password: Password })
export const SetPassword = t.Object({ token: t.String({ minLength: 1 }), password: Password })
export const ForgotPassword = t.Object({ email: t.String({ format: 'email', maxLength: 254 }) })
export const ResetPassword = t.Object({ token: t.String({ minLength: 1 }), password: Password })
export const UserParams = t.Object({ id: t.String({ format: 'uuid' }) })

export const accounts = feature('accounts', 'Signing up, verifying the address, passwords (changed, forgotten, set from a mailed link), and the accounts themselves')

/** What `/password/forgot` answers, whether or not the address has an account. */
export const ResetAsked = Type.Object({ status: Type.Literal('accepted'), message: Type.String() })
/** A refused link's token: 422 at `/token`. */
export const LINK_REFUSED = { 422: 'the token (/token: unknown, expired or already used) or the password (/password: weak) refused' } as const
