import type { UserRow } from '../../../schemas/views/auth.ts'
import { userView } from '../../../schemas/views/auth.ts'
import { newToken } from '../../../workers/auth/tokens.ts'
import { signToken, type Role } from '../../kit/jwt.ts'

/** What signs an access token: the account as it is now, and the session it is for. */
export interface Holder {
  user_id: string
  role: string
  email: string
  token_version: number
  session_id: string
}

export interface Lifetimes {
  accessTtl: number
  refreshTtl: number
}

/** A new opaque refresh token and the hash the worker stores instead. */
export const newRefreshToken = newToken

/** The answer of a login or a refresh: the access token signed for the session, the refresh token, the account. */
export async function tokensAnswer(secret: string, holder: Holder, refresh: { token: string; expiresAt: string }, ttl: Lifetimes, user?: UserRow) {
  const accessToken = await signToken(secret, { sub: holder.user_id, role: holder.role as Role, email: holder.email, ver: holder.token_version, sid: holder.session_id }, ttl.accessTtl)
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ttl.accessTtl,
    refresh_token: refresh.token,
    refresh_expires_at: refresh.expiresAt,
    ...(user ? { user: userView(user) } : {}),
  }
}
