import { createHash, randomBytes } from 'node:crypto'

export const VERIFY_EMAIL = 'verify_email'
export const SET_PASSWORD = 'set_password'
export const RESET_PASSWORD = 'reset_password'

/** A one-time token to mail, and the hash that is stored instead of it. */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashToken(token) }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
