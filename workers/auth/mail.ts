import type { Tx } from '../../core/index.ts'
import { emails, userTokens } from '../../schemas/db/auth.ts'
import { renderHtml, renderText, typed, type Piece } from '../kit/mail.ts'
import type { AuthSettings } from './settings.ts'
import { newToken, SET_PASSWORD, VERIFY_EMAIL } from './tokens.ts'

const DAY = 86_400_000

const MESSAGES = {
  [VERIFY_EMAIL]: {
    subject: 'Confirm your MedTrack email address',
    path: '/verify',
    ttl: 2 * DAY,
    paragraphs: (name: string, link: string): Piece[][] => [
      ['Hello ', typed(name), ','],
      ['Welcome to MedTrack. Please confirm your email address by opening this link:'],
      [{ link }],
      ['The link is valid for 48 hours.'],
    ],
  },
  [SET_PASSWORD]: {
    subject: 'Your MedTrack account: choose a password',
    path: '/set-password',
    ttl: 7 * DAY,
    paragraphs: (name: string, link: string): Piece[][] => [
      ['Hello ', typed(name), ','],
      ['An account was created for you on MedTrack. Choose your password here:'],
      [{ link }],
      ['The link is valid for 7 days.'],
    ],
  },
} as const

/**
 * Stores a one-time token for the user and queues the email carrying its link,
 * in the caller's transaction: the email goes out only if the change commits.
 * The user's name, typed by someone, is quoted on one line in the text and
 * escaped in the HTML: it never reads as the email's own words.
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
  const paragraphs = m.paragraphs(user.firstName, link)
  await tx.insert(userTokens).values({ tokenHash: hash, userId: user.id, purpose, expiresAt })
  await tx.insert(emails).values({ id: crypto.randomUUID(), recipient: user.email, subject: m.subject, text: renderText(paragraphs), html: renderHtml(paragraphs), expiresAt })
}
