/** How emails are written: paragraphs of our own words, text people typed and links, as plain text and as HTML. */

/** A piece of an email's paragraph: our own words, text a person typed (shown up to `max` characters), or a link of ours. */
export type Piece = string | { typed: string; max?: number } | { link: string }

/** The longest typed text an email shows unless told (a name); more is cut, with an ellipsis. */
const TYPED_MAX = 100

/** Text a person typed (a name, a reason), set apart from our own words wherever it is shown, cut after `max` characters. */
export const typed = (text: string, max = TYPED_MAX): Piece => ({ typed: text, max })

/**
 * Typed text as an email shows it: on one line (control characters and line
 * separators become spaces, runs of spaces one), at most `max` characters.
 */
export function oneLine(text: string, max = TYPED_MAX): string {
  const flat = text.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029\s]+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text as HTML shows it, never as markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!)
}

/** The plain-text part: typed text in quotation marks, on one line. */
export function renderText(paragraphs: Piece[][]): string {
  const piece = (p: Piece) => (typeof p === 'string' ? p : 'typed' in p ? `“${oneLine(p.typed, p.max)}”` : p.link)
  return `${paragraphs.map((pieces) => pieces.map(piece).join('')).join('\n\n')}\n`
}

/** The HTML part: every piece escaped; typed text quoted, in an element of its own. */
export function renderHtml(paragraphs: Piece[][]): string {
  const piece = (p: Piece) => {
    if (typeof p === 'string') return escapeHtml(p)
    if ('typed' in p) return `“<span class="typed">${escapeHtml(oneLine(p.typed, p.max))}</span>”`
    return `<a href="${escapeHtml(p.link)}">${escapeHtml(p.link)}</a>`
  }
  const body = paragraphs.map((pieces) => `<p>${pieces.map(piece).join('')}</p>`).join('\n')
  return `<!doctype html>\n<html><body>\n${body}\n</body></html>\n`
}

/** An email's text as kept once it is sent or given up: its links' one-time tokens replaced by `[used]`. */
export function withoutTokens(text: string): string {
  return text.replace(/\btoken=[A-Za-z0-9_-]+/g, 'token=[used]')
}

