import { conflict } from '../../../core/index.ts'
import { users } from '../../../schemas/db/auth.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { queueTokenEmail } from '../mail.ts'
import type { AuthSettings } from '../settings.ts'
import { VERIFY_EMAIL } from '../tokens.ts'
import { userView } from '../view.ts'

/** Creates the account, queues the verification email, announces `user.created`. */
export const registerUser =
  (settings: AuthSettings): NonNullable<CommandHandlers['auth.register_user']> =>
  async ({ payload }, { tx, emit }) => {
    const [user] = await tx
      .insert(users)
      .values({
        id: crypto.randomUUID(),
        email: payload.email.trim(),
        passwordHash: payload.password_hash,
        role: payload.role,
        firstName: payload.first_name,
        lastName: payload.last_name,
      })
      .onConflictDoNothing()
      .returning()
    if (!user) throw conflict('an account with this email already exists', [{ path: '/email', message: 'already registered' }])
    await queueTokenEmail(tx, settings, user, VERIFY_EMAIL)
    emit('user.created', { user_id: user.id, email: user.email, role: payload.role, first_name: user.firstName, last_name: user.lastName })
    return { status: 201, body: userView(user) }
  }
