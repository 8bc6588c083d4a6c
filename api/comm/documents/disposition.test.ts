import { describe, expect, test } from 'bun:test'
import { attachmentDisposition } from './disposition.ts'

describe('attachmentDisposition', () => {
  test('a plain ASCII name as it is; quotes, backslashes and anything not printable ASCII as _ in filename, exact in filename* (RFC 5987)', () => {
    expect(attachmentDisposition('report 2026.pdf')).toBe('attachment; filename="report 2026.pdf"')
    expect(attachmentDisposition('say "hi"\\.pdf')).toBe(`attachment; filename="say _hi__.pdf"; filename*=UTF-8''say%20%22hi%22%5C.pdf`)
    expect(attachmentDisposition("l'\u00e9t\u00e9 (1)*.png")).toBe(`attachment; filename="l'_t_ (1)*.png"; filename*=UTF-8''l%27%C3%A9t%C3%A9%20%281%29%2A.png`)
    expect(attachmentDisposition('\u6587\u6863.pdf')).toBe(`attachment; filename="__.pdf"; filename*=UTF-8''%E6%96%87%E6%A1%A3.pdf`)
  })
})
