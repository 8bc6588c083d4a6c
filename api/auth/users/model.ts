import { t } from 'elysia'
import { personName } from '../../kit/fields.ts'

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
