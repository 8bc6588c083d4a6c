import { t } from 'elysia'

/** The pattern of text a person fills in: something other than spaces and characters that show nothing (zero-width ones). */
export const NON_BLANK = '[^\\s\\u200B-\\u200D\\u2060\\uFEFF]'

/** A text field a person fills in (a name, a phone number): not empty, not only spaces, at most `maxLength` characters. */
export const text = (maxLength: number) => t.String({ minLength: 1, maxLength, pattern: NON_BLANK })

/** An optional text field a PATCH may clear: the text, or `null` for none. */
export const clearable = (maxLength: number) => t.Optional(t.Union([text(maxLength), t.Null()]))
