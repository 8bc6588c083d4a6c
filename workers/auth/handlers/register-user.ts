import { users } from '../../../schemas/db/auth.ts'
import type { CommandHandlers } from '../../kit/define.ts'
import { findAccount } from '../accounts.ts'
import { queueSignUpTried, queueTokenEmail } from '../mail.ts'
import type { AuthSettings } from '../settings.ts'
import { VERIFY_EMAIL } from '../tokens.ts'
import { userView } from '../../../schemas/views/auth.ts'

/**
 * Creates the account, queues the verification email, announces
 * `user.created`. An address that has an account already is answered alike,
 * with what a new account would show, so that nobody learns who has one; its
 * owner is mailed that someone tried, and nothing else changes.
 */
export const registerUser =
  (settings: AuthSettings): NonNullable<CommandHandlers['auth.register_user']> =>
  async ({ payload }, { tx, emit }) => {
    const asked = {
      id: crypto.randomUUID(),
      email: payload.email.trim(),
      passwordHash: payload.password_hash,
      role: payload.role,
      firstName: payload.first_name,
      lastName: payload.last_name,
    }
    const [user] = await tx.insert(users).values(asked).onConflictDoNothing().returning()
    if (!user) {
      const owner = await findAccount(tx, asked.email)
      if (owner) await queueSignUpTried(tx, owner)
      const now = new Date()
      return { status: 201, body: userView({ ...asked, verifiedAt: null, tokenVersion: 0, createdAt: now, updatedAt: now }) }
    }
    await queueTokenEmail(tx, settings, user, VERIFY_EMAIL)
    emit('user.created', { user_id: user.id, email: user.email, role: payload.role, first_name: user.firstName, last_name: user.lastName })
    return { status: 201, body: userView(user) }
  }
