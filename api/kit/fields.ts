import { t } from 'elysia'

/** The pattern of text a person fills in: something other than spaces and characters that show nothing (zero-width ones). */
export const NON_BLANK = '[^\\s\\u200B-\\u200D\\u2060\\uFEFF]'

/** A text field a person fills in (a name, a phone number): not empty, not only spaces, at most `maxLength` characters. */
export const text = (maxLength: number) => t.String({ minLength: 1, maxLength, pattern: NON_BLANK })

/**
 * One line of text a person fills in: something visible, and no control character (a newline, a tab, an
 * escape), nor a Unicode line or paragraph separator. NUL is left to the kit's own check, which names it.
 */
export const ONE_LINE = `^(?=[\\s\\S]*${NON_BLANK})[^\\u0001-\\u001F\\u007F-\\u009F\\u2028\\u2029]*$`

/** A person's name (a first or last name): one line, not empty, at most `maxLength` characters. */
export const personName = (maxLength: number) => t.String({ minLength: 1, maxLength, pattern: ONE_LINE })

/** An optional text field a PATCH may clear: the text (`text` or `personName`), or `null` for none. */
export const clearable = (maxLength: number, kind: (maxLength: number) => ReturnType<typeof text> = text) => t.Optional(t.Union([kind(maxLength), t.Null()]))
