import { authRuntime, emails } from '../../schemas/db/auth.ts'
import { defineWorker } from '../kit/define.ts'
import { emailSender, type Mailer } from '../kit/email-sender.ts'
import { changePassword } from './handlers/change-password.ts'
import { deleteUser } from './handlers/delete-user.ts'
import { encadrantCreated, studentCreated } from './handlers/profile-created.ts'
import { registerUser } from './handlers/register-user.ts'
import { setPassword } from './handlers/set-password.ts'
import { verifyEmail } from './handlers/verify-email.ts'
import type { AuthSettings } from './settings.ts'

export function authWorker(settings: AuthSettings, mailer?: Mailer) {
  return defineWorker({
    service: 'auth',
    tables: authRuntime,
    commands: {
      'auth.register_user': registerUser(settings),
      'auth.verify_email': verifyEmail,
      'auth.change_password': changePassword,
      'auth.set_password': setPassword,
      'auth.delete_user': deleteUser,
    },
    events: {
      'student.created': studentCreated(settings),
      'encadrant.created': encadrantCreated(settings),
    },
    background: [emailSender(emails, settings, mailer)],
  })
}
