import { eq } from 'drizzle-orm'
import { users } from '../../../schemas/db/auth.ts'
import type { CommandFunction } from '../../kit/define.ts'
import { endUserSessions } from '../sessions.ts'
import { RESET_PASSWORD, SET_PASSWORD } from '../tokens.ts'
import { userView } from '../../../schemas/views/auth.ts'
import { spendPasswordLinks, spendToken } from './tokens.ts'

type FromLink = CommandFunction<'auth.set_password'> & CommandFunction<'auth.reset_password'>

/**
 * A password chosen through a mailed link, which also proves the address:
 * the link is spent (and every other link that sets a password), tokens issued before stop working and every session
 * ends (`user.password_changed`), the account is verified if it was not.
 */
const passwordFromLink =
  (purpose: typeof SET_PASSWORD | typeof RESET_PASSWORD): FromLink =>
  async ({ payload }, { tx, emit }) => {
    const user = await spendToken(tx, payload.token_hash, purpose)
    const now = new Date()
    const [updated] = await tx
      .update(users)
      .set({ passwordHash: payload.password_hash, verifiedAt: user.verifiedAt ?? now, tokenVersion: user.tokenVersion + 1, updatedAt: now })
      .where(eq(users.id, user.id))
      .returning()
    await endUserSessions(tx, user.id, 'password_reset')
    await spendPasswordLinks(tx, user.id)
    if (!user.verifiedAt) emit('user.verified', { user_id: user.id, email: user.email })
    emit('user.password_changed', { user_id: user.id, token_version: updated!.tokenVersion })
    return { status: 200, body: userView(updated!) }
  }

/** The first password of an account made for someone else's record. */
export const setPassword = passwordFromLink(SET_PASSWORD)

/** A new password for a forgotten one. */
export const resetPassword = passwordFromLink(RESET_PASSWORD)
