import { and, eq, gt } from 'drizzle-orm'
import type { Tx } from '../../core/index.ts'
import { emails, userTokens } from '../../schemas/db/auth.ts'
import { renderHtml, renderText, typed, type Piece } from '../kit/mail.ts'
import type { AuthSettings } from './settings.ts'
import { newToken, RESET_PASSWORD, SET_PASSWORD, VERIFY_EMAIL } from './tokens.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR

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
  [RESET_PASSWORD]: {
    subject: 'Your MedTrack password: choose a new one',
    path: '/reset-password',
    ttl: HOUR,
    paragraphs: (name: string, link: string): Piece[][] => [
      ['Hello ', typed(name), ','],
      ['Someone, we hope you, asked to choose a new password for your MedTrack account. Choose it here:'],
      [{ link }],
      ['The link is valid for 1 hour and works once. If you did not ask, ignore this email: your password stays as it is.'],
    ],
  },
} as const

/** The email to the owner of an address someone tried to sign up with again: no link, nothing to do unless it was not them. */
const SIGN_UP_TRIED = {
  subject: 'Someone tried to sign up to MedTrack with your address',
  paragraphs: (name: string): Piece[][] => [
    ['Hello ', typed(name), ','],
    ['Someone tried to create a MedTrack account with your email address, which already has one. No new account was made.'],
    ['If it was you, log in with your password, or choose a new one with "Forgot password". If it was not you, you need not do anything.'],
  ],
}

/** How long after one such email the next is held back: whoever signs up again and again does not flood the owner. */
const SIGN_UP_TRIED_EVERY_MS = HOUR

/** Queues the email of SIGN_UP_TRIED to the account, unless one was queued within the last hour. */
export async function queueSignUpTried(tx: Tx, user: { email: string; firstName: string }): Promise<void> {
  const [recent] = await tx
    .select({ id: emails.id })
    .from(emails)
    .where(and(eq(emails.recipient, user.email), eq(emails.subject, SIGN_UP_TRIED.subject), gt(emails.createdAt, new Date(Date.now() - SIGN_UP_TRIED_EVERY_MS))))
    .limit(1)
  if (recent) return
  const paragraphs = SIGN_UP_TRIED.paragraphs(user.firstName)
  await tx.insert(emails).values({ id: crypto.randomUUID(), recipient: user.email, subject: SIGN_UP_TRIED.subject, text: renderText(paragraphs), html: renderHtml(paragraphs) })
}

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
