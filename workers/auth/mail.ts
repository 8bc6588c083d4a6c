import { emails, userTokens } from '../../schemas/db/auth.ts'
import type { Tx } from '../../core/index.ts'
import type { AuthSettings } from './settings.ts'
import { newToken, SET_PASSWORD, VERIFY_EMAIL } from './tokens.ts'

const DAY = 86_400_000

/** A piece of an email's paragraph: our own words, text a person typed, or a link of ours. */
type Piece = string | { typed: string } | { link: string }

/** Text a person typed (a name), set apart from our own words wherever it is shown. */
const typed = (text: string): Piece => ({ typed: text })

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

/** The longest typed text an email shows; more is cut, with an ellipsis. */
const TYPED_MAX = 100

/**
 * Typed text as an email shows it: on one line (control characters and line
 * separators become spaces, runs of spaces one), at most TYPED_MAX characters.
 */
export function oneLine(text: string): string {
  const flat = text.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029\s]+/g, ' ').trim()
  return flat.length > TYPED_MAX ? `${flat.slice(0, TYPED_MAX - 1)}…` : flat
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text as HTML shows it, never as markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!)
}

/** The plain-text part: typed text in quotation marks, on one line. */
function renderText(paragraphs: Piece[][]): string {
  const piece = (p: Piece) => (typeof p === 'string' ? p : 'typed' in p ? `“${oneLine(p.typed)}”` : p.link)
  return `${paragraphs.map((pieces) => pieces.map(piece).join('')).join('\n\n')}\n`
}

/** The HTML part: every piece escaped; typed text quoted, in an element of its own. */
function renderHtml(paragraphs: Piece[][]): string {
  const piece = (p: Piece) => {
    if (typeof p === 'string') return escapeHtml(p)
    if ('typed' in p) return `“<span class="typed">${escapeHtml(oneLine(p.typed))}</span>”`
    return `<a href="${escapeHtml(p.link)}">${escapeHtml(p.link)}</a>`
  }
  const body = paragraphs.map((pieces) => `<p>${pieces.map(piece).join('')}</p>`).join('\n')
  return `<!doctype html>\n<html><body>\n${body}\n</body></html>\n`
}

/** An email's text as kept once it is sent or given up: its links' one-time tokens replaced by `[used]`. */
export function withoutTokens(text: string): string {
  return text.replace(/\btoken=[A-Za-z0-9_-]+/g, 'token=[used]')
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
