import { describe, expect, test } from 'bun:test'
import { DomainError } from '../../../core/index.ts'
import { boundaryOf, dispositionOf, MultipartParser } from './multipart.ts'

const BOUNDARY = '----medtrackBoundary7MA4YWxk'
const encoder = new TextEncoder()

/** A form as a browser sends it: a preamble the parser must skip, two fields, a file whose bytes look almost like a delimiter, an epilogue. */
const fileBytes = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x0d, 0x0a, 0x2d, 0x2d, 0x2d, 0x2d, 0x2d, 0x6d, 0x65, 0x64, 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0xff])
const body = concat(
  encoder.encode(`preamble to skip\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nreport\r\n`),
  encoder.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="r\u00e9sum\u00e9.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
  fileBytes,
  encoder.encode(`\r\n--${BOUNDARY}  \r\nContent-Disposition: form-data; name="empty"\r\n\r\n\r\n--${BOUNDARY}--\r\nepilogue`),
)

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

interface Part {
  headers: Record<string, string>
  bytes: number[]
}

/** Feeds `chunks` to a parser and gathers the parts it found, checking it never gives a part's bytes out of order. */
function parse(chunks: Uint8Array[], boundary = BOUNDARY): Part[] {
  const parser = new MultipartParser(boundary)
  const parts: Part[] = []
  let open: Part | undefined
  for (const chunk of chunks) {
    for (const e of parser.write(chunk)) {
      if (e.type === 'part') {
        expect(open).toBeUndefined()
        open = { headers: e.headers, bytes: [] }
      } else if (e.type === 'data') {
        expect(e.bytes.byteLength).toBeGreaterThan(0)
        open!.bytes.push(...e.bytes)
      } else {
        parts.push(open!)
        open = undefined
      }
    }
  }
  parser.end()
  return parts
}

const expected: Part[] = [
  { headers: { 'content-disposition': 'form-data; name="kind"' }, bytes: [...encoder.encode('report')] },
  { headers: { 'content-disposition': 'form-data; name="file"; filename="r\u00e9sum\u00e9.pdf"', 'content-type': 'application/pdf' }, bytes: [...fileBytes] },
  { headers: { 'content-disposition': 'form-data; name="empty"' }, bytes: [] },
]

const refusal = (run: () => unknown) => {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError)
    return { status: (err as DomainError).status, code: (err as DomainError).code, message: (err as DomainError).message }
  }
  throw new Error('expected the parser to refuse the body')
}

describe('MultipartParser', () => {
  test('the whole body in one chunk: the fields and the file, byte for byte, preamble and epilogue left out', () => {
    expect(parse([body])).toEqual(expected)
  })

  test('cut in two at every byte: the same parts, whatever falls on the cut (a delimiter, a CRLF, a header, the closing dashes)', () => {
    for (let cut = 1; cut < body.length; cut++) expect(parse([body.subarray(0, cut), body.subarray(cut)])).toEqual(expected)
  })

  test('cut in three around every delimiter and header end: the same parts', () => {
    const text = new TextDecoder('latin1').decode(body)
    const marks = [...text.matchAll(new RegExp(`\r\n--${BOUNDARY}|\r\n\r\n`, 'g'))].map((m) => m.index!)
    for (const mark of marks) {
      for (let a = Math.max(1, mark - 3); a <= mark + BOUNDARY.length + 4; a++) {
        for (let b = a + 1; b <= Math.min(body.length - 1, a + BOUNDARY.length + 6); b++) {
          expect(parse([body.subarray(0, a), body.subarray(a, b), body.subarray(b)])).toEqual(expected)
        }
      }
    }
  })

  test('one byte at a time, and with empty chunks between: the same parts', () => {
    const bytes = [...body].flatMap((byte) => [new Uint8Array([byte]), new Uint8Array(0)])
    expect(parse(bytes)).toEqual(expected)
  })

  test('a part of 1 MiB in 64 KiB chunks comes out whole, never holding more than a delimiter back', () => {
    const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 7) % 251)
    const whole = concat(encoder.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="b.png"\r\n\r\n`), big, encoder.encode(`\r\n--${BOUNDARY}--`))
    const parser = new MultipartParser(BOUNDARY)
    let received = 0
    for (let at = 0; at < whole.length; at += 65_536) {
      const before = received
      for (const e of parser.write(whole.subarray(at, at + 65_536))) if (e.type === 'data') received += e.bytes.byteLength
      if (at + 65_536 < whole.length && at > 0) expect(received - before).toBeGreaterThan(65_536 - `\r\n--${BOUNDARY}`.length)
    }
    parser.end()
    expect(received).toBe(big.length)
  })

  test('a part without headers, and a boundary given in quotes', () => {
    const plain = encoder.encode(`--b\r\n\r\nhello\r\n--b--`)
    expect(parse([plain], 'b')).toEqual([{ headers: {}, bytes: [...encoder.encode('hello')] }])
  })

  test('a body that stops before its closing boundary, or holds no boundary at all → 400 MALFORMED_MULTIPART', () => {
    expect(refusal(() => parse([body.subarray(0, body.length - 20)]))).toMatchObject({ status: 400, code: 'MALFORMED_MULTIPART', message: expect.stringContaining('closing boundary') })
    expect(refusal(() => parse([encoder.encode('just some text, no parts')]))).toMatchObject({ status: 400, code: 'MALFORMED_MULTIPART' })
  })

  test('a boundary followed by something else than a line end, a header line without a name, or endless headers → 400', () => {
    expect(refusal(() => parse([encoder.encode(`--${BOUNDARY}xyz\r\n\r\n\r\n--${BOUNDARY}--`)]))).toMatchObject({ status: 400, message: expect.stringContaining('line end') })
    expect(refusal(() => parse([encoder.encode(`--${BOUNDARY}\r\nno colon here\r\n\r\nx\r\n--${BOUNDARY}--`)]))).toMatchObject({ status: 400, message: expect.stringContaining('no name') })
    const endless = concat(encoder.encode(`--${BOUNDARY}\r\nX-Long: `), new Uint8Array(17 * 1024).fill(0x61))
    expect(refusal(() => new MultipartParser(BOUNDARY).write(endless))).toMatchObject({ status: 400, message: expect.stringContaining('headers are longer') })
  })
})

describe('boundaryOf', () => {
  test('the boundary of multipart/form-data, quoted or not, in any case; none for other types or without one', () => {
    expect(boundaryOf(`multipart/form-data; boundary=${BOUNDARY}`)).toBe(BOUNDARY)
    expect(boundaryOf('Multipart/Form-Data; charset=utf-8; BOUNDARY="a b:c"')).toBe('a b:c')
    expect(boundaryOf('multipart/form-data')).toBeUndefined()
    expect(boundaryOf(`multipart/form-data; boundary=${'x'.repeat(71)}`)).toBeUndefined()
    expect(boundaryOf('application/json; boundary=x')).toBeUndefined()
    expect(boundaryOf('')).toBeUndefined()
  })
})

describe('dispositionOf', () => {
  test("the field name and filename; filename* (RFC 5987) wins; escaped quotes and semicolons inside quotes are kept", () => {
    expect(dispositionOf({ 'content-disposition': 'form-data; name="file"; filename="a.pdf"' })).toEqual({ name: 'file', filename: 'a.pdf' })
    expect(dispositionOf({ 'content-disposition': `form-data; name=file; filename="plain.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf` })).toEqual({ name: 'file', filename: 'r\u00e9sum\u00e9.pdf' })
    expect(dispositionOf({ 'content-disposition': 'form-data; name="file"; filename="say \\"hi\\"; ok.pdf"' })).toEqual({ name: 'file', filename: 'say "hi"; ok.pdf' })
    expect(dispositionOf({ 'content-disposition': `form-data; name="file"; filename="kept.pdf"; filename*=UTF-8''%E0%A4` })).toEqual({ name: 'file', filename: 'kept.pdf' })
    expect(dispositionOf({})).toEqual({})
  })
})
