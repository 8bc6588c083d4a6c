import { emails, userTokens } from '../../schemas/db/auth.ts'
import type { Tx } from '../../core/index.ts'
import type { AuthSettings } from './settings.ts'
import { newToken, SET_PASSWORD, VERIFY_EMAIL } from './tokens.ts'

const DAY = 86_400_000

const MESSAGES = {
  [VERIFY_EMAIL]: {
    subject: 'Confirm your MedTrack email address',
    path: '/verify',
    ttl: 2 * DAY,
    text: (name: string, link: string) => `Hello ${name},\n\nWelcome to MedTrack. Please confirm your email address by opening this link:\n\n${link}\n\nThe link is valid for 48 hours.\n`,
  },
  [SET_PASSWORD]: {
    subject: 'Your MedTrack account: choose a password',
    path: '/set-password',
    ttl: 7 * DAY,
    text: (name: string, link: string) => `Hello ${name},\n\nAn account was created for you on MedTrack. Choose your password here:\n\n${link}\n\nThe link is valid for 7 days.\n`,
  },
} as const

/** An email's text as kept once it is sent or given up: its links' one-time tokens replaced by `[used]`. */
export function withoutTokens(text: string): string {
  return text.replace(/\btoken=[A-Za-z0-9_-]+/g, 'token=[used]')
}

/**
 * Stores a one-time token for the user and queues the email carrying its link,
 * in the caller's transaction: the email goes out only if the change commits.
 */
export async function queueTokenEmail(
  tx: Tx,
  settings: Pick<AuthSettings, 'PUBLIC_URL'>,
  user: { id: string; email: string; firstName: string },
  purpose: keyof typeof MESSAGES,
): Promise<void> {
  const m = MESSAGES[purpose]
  const { token, hash } = newToken()
  const link = `${settings.PUBLIC_URL.replace(/\/$/, '')}${m.path}?token=${token}`
  const expiresAt = new Date(Date.now() + m.ttl)
  await tx.insert(userTokens).values({ tokenHash: hash, userId: user.id, purpose, expiresAt })
  await tx.insert(emails).values({ id: crypto.randomUUID(), recipient: user.email, subject: m.subject, text: m.text(user.firstName, link), expiresAt })
}
