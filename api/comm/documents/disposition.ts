/** RFC 5987's attr-char: what `filename*` may hold unescaped. */
const encode5987 = (text: string) => encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/**
 * `attachment` with the document's name: a plain `filename` of printable
 * ASCII (anything else, quotes and backslashes too, as `_`) for old clients,
 * and the exact name in `filename*` (RFC 5987, UTF-8) when it is not plain ASCII.
 */
export function attachmentDisposition(filename: string): string {
  const plain = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return plain === filename ? `attachment; filename="${plain}"` : `attachment; filename="${plain}"; filename*=UTF-8''${encode5987(filename)}`
}
