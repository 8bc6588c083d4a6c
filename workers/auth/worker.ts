import { authRuntime, emails } from '../../schemas/db/auth.ts'
import { defineWorker } from '../kit/define.ts'
import { emailSender, type Mailer } from '../kit/email-sender.ts'
import { changePassword } from './handlers/change-password.ts'
import { deleteUser } from './handlers/delete-user.ts'
import { encadrantCreated, studentCreated } from './handlers/profile-created.ts'
import { registerUser } from './handlers/register-user.ts'
import { countLoginAttempt } from './handlers/login-attempts.ts'
import { requestPasswordReset } from './handlers/request-password-reset.ts'
import { endSession, endSessions, refreshSession, startSession } from './handlers/sessions.ts'
import { resetPassword, setPassword } from './handlers/set-password.ts'
import { verifyEmail } from './handlers/verify-email.ts'
import type { AuthSettings } from './settings.ts'
import { accountSweep } from './sweep.ts'

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
      'auth.start_session': startSession,
      'auth.refresh_session': refreshSession,
      'auth.end_session': endSession,
      'auth.end_sessions': endSessions,
      'auth.count_login_attempt': countLoginAttempt,
      'auth.request_password_reset': requestPasswordReset(settings),
      'auth.reset_password': resetPassword,
    },
    events: {
      'student.created': studentCreated(settings),
      'encadrant.created': encadrantCreated(settings),
    },
    background: [emailSender(emails, settings, mailer), accountSweep(settings.ACCOUNT_SWEEP_MS)],
  })
}
