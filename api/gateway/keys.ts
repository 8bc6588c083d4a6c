/**
 * API keys of external publishers: their format, their hash (the only form
 * stored) and the event type patterns that say what each key may publish.
 * Shared by the gateway and `bun run apikey`.
 */
import { Buffer } from 'node:buffer'
import { createHash, randomBytes } from 'node:crypto'
import { bearerToken } from '../kit/jwt.ts'

const KEY_PREFIX = 'mtk_'
const KEY_BYTES = 32
/** `mtk_` and the base64url text of 32 random bytes. */
const KEY_FORMAT = /^mtk_[A-Za-z0-9_-]{43}$/
/** Characters of a key kept in clear, to recognise it in listings. */
const SHOWN_CHARS = 12
const PATTERN = /^(\*|#|[a-z0-9_]+)(\.(\*|#|[a-z0-9_]+))*$/

/** A new random key: shown once to whoever creates it, never stored. */
export function generateKey(): string {
  return `${KEY_PREFIX}${Buffer.from(randomBytes(KEY_BYTES)).toString('base64url')}`
}

/** SHA-256 hex of the key: what the database stores and looks keys up by. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/** The first characters of a key, safe to list. */
export function keyPrefix(key: string): string {
  return key.slice(0, SHOWN_CHARS)
}

/** Whether `key` has the shape of a key this gateway issues; anything else is not worth a lookup. */
export function looksLikeKey(key: string): boolean {
  return KEY_FORMAT.test(key)
}

/** The key of an `Authorization: Bearer <key>` header, or undefined. */
export const bearerKey = bearerToken

/**
 * `'student.*, grade.assigned'` → the patterns, or the problems with them.
 * A pattern is dot-separated words, each a name, `*` (one word) or `#` (any number of words).
 */
export function parsePatterns(list: string): { patterns: string[]; problems: string[] } {
  const patterns = [...new Set(list.split(',').map((p) => p.trim()).filter((p) => p.length > 0))]
  const problems = patterns.filter((p) => !PATTERN.test(p)).map((p) => `'${p}' is not an event pattern (words of a-z, 0-9, _ separated by dots; * is one word, # any number)`)
  if (patterns.length === 0) problems.push('at least one event pattern is needed, e.g. student.*')
  return { patterns, problems }
}

/**
 * Topic-exchange matching of an event type: `student.*` matches `student.created`,
 * `stage.#` matches every `stage.…`; `*` or `#` alone matches every type.
 */
export function patternMatches(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === '#') return true
  return wordsMatch(pattern.split('.'), type.split('.'))
}

function wordsMatch(pattern: string[], words: string[]): boolean {
  if (pattern.length === 0) return words.length === 0
  const [head, ...rest] = pattern
  if (head === '#') return wordsMatch(rest, words) || (words.length > 0 && wordsMatch(pattern, words.slice(1)))
  if (words.length === 0) return false
  return (head === '*' || head === words[0]) && wordsMatch(rest, words.slice(1))
}

/** Whether any of `patterns` lets its key publish `type`. */
export function allows(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => patternMatches(p, type))
}
