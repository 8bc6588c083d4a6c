import { createHash } from 'node:crypto'

/** Namespace of the UUIDv5 ids derived from message bytes. */
export const MESSAGE_ID_NAMESPACE = '3f8c2a4e-6d1b-5c7a-9e2f-1a4b6c8d0e2f'

export function newId(): string {
  return crypto.randomUUID()
}

/** A caller's X-Request-Id when it is a sane token (printable ASCII, at most 200 characters: a correlation id every consumer takes), else a new id. */
export function requestIdFrom(given: string | null | undefined): string {
  return given && /^[\x21-\x7e]{1,200}$/.test(given) ? given : newId()
}

/** RFC 4122 UUIDv5 (SHA-1) of `bytes` in `namespace`: the same bytes always give the same id. */
export function uuidV5(bytes: Uint8Array | string, namespace = MESSAGE_ID_NAMESPACE): string {
  const ns = Uint8Array.from(namespace.replace(/-/g, '').match(/../g)!.map((h) => parseInt(h, 16)))
  const hash = createHash('sha1').update(ns).update(bytes).digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.toString('hex', 0, 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
