import { Buffer } from 'node:buffer'
import { DomainError } from '../../../core/index.ts'

/** What the parser found in the chunks it was given, in order. */
export type MultipartEvent =
  | { type: 'part'; headers: Record<string, string> }
  | { type: 'data'; bytes: Uint8Array }
  | { type: 'end' }

/** The most a part's headers may hold: a form's parts carry a few short lines. */
const MAX_HEADER_BYTES = 16 * 1024

const CRLF = Buffer.from('\r\n')
const HEADERS_END = Buffer.from('\r\n\r\n')

export const malformed = (message: string) =>
  new DomainError(400, 'MALFORMED_MULTIPART', `the request body is not valid multipart/form-data: ${message}`, [{ path: '/', message }])

/** The `boundary` parameter of a multipart/form-data Content-Type; undefined for any other type. */
export function boundaryOf(contentType: string): string | undefined {
  const [type, ...params] = contentType.split(';')
  if (type!.trim().toLowerCase() !== 'multipart/form-data') return undefined
  for (const param of params) {
    const at = param.indexOf('=')
    if (at < 0 || param.slice(0, at).trim().toLowerCase() !== 'boundary') continue
    const value = param.slice(at + 1).trim().replace(/^"(.*)"$/, '$1')
    // RFC 2046 §5.1.1: 1 to 70 characters.
    return value.length >= 1 && value.length <= 70 ? value : undefined
  }
  return undefined
}

/**
 * A multipart/form-data parser fed one chunk at a time (RFC 7578, RFC 2046
 * §5.1): `write` answers what the chunk completed, a part's bytes as they
 * come, never holding more of them than a delimiter's length, whatever way
 * the body was cut into chunks. Throws MALFORMED_MULTIPART (400) for a body
 * that is not multipart; `end` for one that stopped before its closing delimiter.
 */
export class MultipartParser {
  /** `\r\n--boundary`: what ends every part (the first delimiter is found as if a CRLF preceded the body). */
  private readonly delimiter: Buffer
  private state: 'preamble' | 'delimiter' | 'headers' | 'body' | 'done' = 'preamble'
  private pending: Buffer = Buffer.from(CRLF)

  constructor(boundary: string) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`)
  }

  /** Whether the closing delimiter was seen: what follows it (an epilogue) is ignored. */
  get done(): boolean {
    return this.state === 'done'
  }

  write(chunk: Uint8Array): MultipartEvent[] {
    if (this.state === 'done') return []
    this.pending = this.pending.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.pending, chunk])
    const events: MultipartEvent[] = []
    for (;;) {
      const progressed = this.step(events)
      if (!progressed || this.done) break
    }
    return events
  }

  /** Throws unless the body ended after its closing delimiter. */
  end(): void {
    if (this.state !== 'done') throw malformed('the body ended before its closing boundary')
  }

  /** Consumes what it can of `pending` in the current state; false when it needs more bytes. */
  private step(events: MultipartEvent[]): boolean {
    const buf = this.pending
    switch (this.state) {
      case 'preamble': {
        const at = buf.indexOf(this.delimiter)
        if (at < 0) {
          // Keep what could be the start of the delimiter; the rest is preamble, ignored.
          this.pending = buf.subarray(Math.max(0, buf.length - this.delimiter.length + 1))
          return false
        }
        this.pending = buf.subarray(at + this.delimiter.length)
        this.state = 'delimiter'
        return true
      }
      case 'delimiter': {
        // After a delimiter: `--` closes the body, else optional spaces and a CRLF open a part.
        if (buf.length < 2) return false
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          this.state = 'done'
          this.pending = Buffer.alloc(0)
          return true
        }
        const eol = buf.indexOf(CRLF)
        if (eol < 0) {
          // Spaces so far, perhaps the CR of the line end: wait for the rest.
          if (buf.length > 256 || !/^[ \t]*\r?$/.test(buf.toString('latin1'))) throw malformed('a boundary is followed by something else than a line end')
          return false
        }
        if (!/^[ \t]*$/.test(buf.subarray(0, eol).toString('latin1'))) throw malformed('a boundary is followed by something else than a line end')
        this.pending = buf.subarray(eol + 2)
        this.state = 'headers'
        return true
      }
      case 'headers': {
        // A part without headers starts with its empty line at once.
        const end = buf.subarray(0, 2).equals(CRLF) ? -2 : buf.indexOf(HEADERS_END)
        if (end === -1) {
          if (buf.length > MAX_HEADER_BYTES) throw malformed(`a part's headers are longer than ${MAX_HEADER_BYTES} bytes`)
          return false
        }
        const block = end === -2 ? '' : new TextDecoder().decode(buf.subarray(0, end))
        this.pending = buf.subarray(end === -2 ? 2 : end + HEADERS_END.length)
        events.push({ type: 'part', headers: parseHeaders(block) })
        this.state = 'body'
        return true
      }
      case 'body': {
        const at = buf.indexOf(this.delimiter)
        if (at < 0) {
          // Everything but an end that could start a delimiter is the part's: mostly the whole chunk,
          // given on as it is (a view, not a copy), so that nothing of it is kept for the next one.
          const keep = this.delimiterStartAtEnd(buf)
          if (buf.length > keep) events.push({ type: 'data', bytes: buf.subarray(0, buf.length - keep) })
          this.pending = buf.subarray(buf.length - keep)
          return false
        }
        if (at > 0) events.push({ type: 'data', bytes: buf.subarray(0, at) })
        events.push({ type: 'end' })
        this.pending = buf.subarray(at + this.delimiter.length)
        this.state = 'delimiter'
        return true
      }
      case 'done':
        return false
    }
  }

  /** How many of `buf`'s last bytes are the first bytes of a delimiter (one that may go on in the next chunk). */
  private delimiterStartAtEnd(buf: Buffer): number {
    for (let k = Math.min(buf.length, this.delimiter.length - 1); k > 0; k--) {
      if (buf[buf.length - k] === 0x0d && buf.subarray(buf.length - k).equals(this.delimiter.subarray(0, k))) return k
    }
    return 0
  }
}

/** A part's header lines, names in lower case. */
function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const line of block.split('\r\n')) {
    if (line === '') continue
    const colon = line.indexOf(':')
    if (colon <= 0) throw malformed(`a part's header line has no name: ${JSON.stringify(line.slice(0, 80))}`)
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}

/**
 * The field name and filename of a part's Content-Disposition
 * (`form-data; name="file"; filename="a.pdf"`), the filename from
 * `filename*=UTF-8''…` (RFC 5987) when it is given.
 */
export function dispositionOf(headers: Record<string, string>): { name?: string; filename?: string } {
  const value = headers['content-disposition']
  if (!value) return {}
  const params: Record<string, string> = {}
  // `key=value` or `key="quoted \"value\""`, after the disposition type.
  const pattern = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g
  for (const m of value.matchAll(pattern)) params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim()
  let filename = params.filename
  const extended = params['filename*']
  if (extended) {
    const m = /^([^']*)'[^']*'(.*)$/.exec(extended)
    if (m && m[1]!.toLowerCase() === 'utf-8') {
      try {
        filename = decodeURIComponent(m[2]!)
      } catch {
        // An undecodable filename* leaves the plain filename.
      }
    }
  }
  return { name: params.name, filename }
}
