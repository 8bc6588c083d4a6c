import { DomainError } from '../../core/index.ts'

/** The most a JSON body may hold unless its route takes more (`bodyLimit`): 64 KiB. */
export const DEFAULT_BODY_LIMIT = 64 * 1024

/** A body over what its route takes: 413, naming the limit. */
export const bodyTooLarge = (limit: number) =>
  new DomainError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes, the most this route takes`, [
    { path: '/', message: `must be at most ${limit} bytes` },
  ])

/**
 * The bytes of a request's body, at most `limit` of them: one that declares a
 * larger length is refused (413) before any of it is read, one sent chunked as
 * soon as it passes the limit, the rest left unread.
 */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  if (Number(request.headers.get('content-length') ?? 0) > limit) throw bodyTooLarge(limit)
  const reader = request.body?.getReader()
  if (!reader) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel().catch(() => {})
      throw bodyTooLarge(limit)
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return bytes
}
