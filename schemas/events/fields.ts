/** Field shapes the event payloads share. */
import { Type } from '@sinclair/typebox'

export const Uuid = Type.String({ format: 'uuid' })
/** At most 254 characters, as an address can be (RFC 5321): longer is refused, not stored. */
export const Email = Type.String({ format: 'email', maxLength: 254 })
export const Text = Type.String({ minLength: 1 })
/**
 * Optional text that may also be `null`, the same as absent: the first Python
 * services write a missing value (`None`) as `null`.
 */
export const OptionalText = (options: { description?: string } = {}) => Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()], options))

/** One line holding something visible: no control character (a newline, a tab, NUL) nor Unicode line or paragraph separator. */
export const ONE_LINE_PATTERN = '^(?=[\\s\\S]*[^\\s\\u200B-\\u200D\\u2060\\uFEFF])[^\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029]*$'

/** A person's first or last name: one line (what an email quotes of it stays that). */
export const Name = Type.String({ minLength: 1, pattern: ONE_LINE_PATTERN, description: 'one line, without control characters' })

/**
 * An ISO 8601 calendar date (`2026-09-01`) or date-time (`2026-09-01T08:30:00Z`,
 * seconds, fraction and offset optional). A `pattern`, not a `format`, so any
 * JSON Schema tool checks it the same way.
 */
export const ISO_DATE_PATTERN =
  '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])' +
  '(T([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d+)?)?(Z|[+-]([01]\\d|2[0-3]):?[0-5]\\d)?)?$'

export const IsoDate = Type.String({ pattern: ISO_DATE_PATTERN, description: 'ISO 8601 date or date-time' })
export const Score = Type.Number({ minimum: 0, maximum: 20, description: 'on the 0–20 scale' })
export const UpdatedFields = Type.Array(Type.String({ minLength: 1 }), { description: 'names of the fields the update changed' })

/** An optional name that may also be `null` (absent), as the first services send it: one line when given. */
export const OptionalName = Type.Optional(Type.Union([Name, Type.Null()]))
