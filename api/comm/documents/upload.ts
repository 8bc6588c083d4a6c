import { createHash } from 'node:crypto'
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { DomainError } from '../../../core/index.ts'
import type { DocumentType } from '../../../schemas/db/comm.ts'
import { boundaryOf, dispositionOf, MultipartParser } from './multipart.ts'

/** What a form may hold beside its file: the fields, the parts' headers and delimiters. */
export const FORM_OVERHEAD_BYTES = 64 * 1024

/** The most a text field (`kind`, `stage_id`, `student_id`) may hold. */
const MAX_FIELD_BYTES = 1024

/** The fields of an upload beside its file. */
export const UPLOAD_FIELDS = ['kind', 'stage_id', 'student_id'] as const

/** The first bytes of each type taken (PDF `%PDF-`, PNG's signature, JPEG's SOI and a marker). */
const SIGNATURES: { type: DocumentType; bytes: number[] }[] = [
  { type: 'application/pdf', bytes: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
]
const SNIFF_BYTES = Math.max(...SIGNATURES.map((s) => s.bytes.length))

/** The type a file's first bytes say it is; undefined for anything but a PDF, a PNG or a JPEG. */
export function sniffType(head: Uint8Array): DocumentType | undefined {
  return SIGNATURES.find((s) => s.bytes.every((b, i) => head[i] === b))?.type
}

/** The file of an upload, in its temporary file, hashed. */
export interface ReceivedFile {
  /** Where its bytes are until the blob store takes them. */
  path: string
  filename: string
  contentType: DocumentType
  size: number
  sha256: string
}

export interface ReceivedUpload {
  fields: Partial<Record<(typeof UPLOAD_FIELDS)[number], string>>
  file: ReceivedFile
}

export const documentTooLarge = (maxBytes: number) =>
  new DomainError(413, 'PAYLOAD_TOO_LARGE', `the document is larger than ${maxBytes} bytes, the most taken`, [{ path: '/file', message: `must be at most ${maxBytes} bytes` }])

const notMultipart = (contentType: string) =>
  new DomainError(415, 'UNSUPPORTED_MEDIA_TYPE', `the request body must be multipart/form-data with a boundary, not ${contentType.split(';', 1)[0]!.trim() || 'without a content-type'}`, [
    { path: '/headers/content-type', message: 'must be multipart/form-data; boundary=…' },
  ])

const notADocument = () =>
  new DomainError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the file is not a PDF, a PNG or a JPEG (recognised by its first bytes, whatever its name or declared type)', [
    { path: '/file', message: 'must be a PDF, PNG or JPEG file' },
  ])

const invalidField = (path: string, message: string) => new DomainError(422, 'VALIDATION_FAILED', 'invalid body', [{ path, message }])

/**
 * Reads a multipart/form-data upload as it arrives: the file part hashed
 * (SHA-256) and written to a temporary file in `incoming`, its type told by
 * its first bytes (415 for anything but PDF, PNG, JPEG, as soon as they are
 * in); the text fields kept. Never holds more than a chunk of the body: a
 * body declared larger than the document and a form may be is refused before
 * it is read, one that turns out larger as soon as it passes the limit (413),
 * the rest left unread. On any refusal the temporary file is removed.
 */
export async function receiveUpload(request: Request, o: { maxBytes: number; incoming: string }): Promise<ReceivedUpload> {
  const contentType = request.headers.get('content-type') ?? ''
  const boundary = boundaryOf(contentType)
  if (!boundary) throw notMultipart(contentType)
  const maxBody = o.maxBytes + FORM_OVERHEAD_BYTES
  if (Number(request.headers.get('content-length') ?? 0) > maxBody) throw documentTooLarge(o.maxBytes)
  const reader = request.body?.getReader()
  if (!reader) throw invalidField('/file', 'is required')

  const parser = new MultipartParser(boundary)
  const fields: ReceivedUpload['fields'] = {}
  let field: { name: (typeof UPLOAD_FIELDS)[number]; bytes: number[] } | undefined
  let file: { handle: FileHandle; path: string; filename: string; hash: ReturnType<typeof createHash>; size: number; head: Uint8Array; type?: DocumentType; done: boolean } | undefined
  let received = 0
  let finished = false

  const sniff = () => {
    file!.type = sniffType(file!.head)
    if (!file!.type) throw notADocument()
  }

  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      received += value.byteLength
      if (received > maxBody) throw documentTooLarge(o.maxBytes)
      for (const e of parser.write(value)) {
        if (e.type === 'part') {
          const { name, filename } = dispositionOf(e.headers)
          if (name === 'file') {
            if (file) throw invalidField('/file', 'must be given once')
            if (filename === undefined) throw invalidField('/file', 'must be a file (a part with a filename)')
            await mkdir(o.incoming, { recursive: true })
            const path = join(o.incoming, `${crypto.randomUUID()}.part`)
            file = { handle: await open(path, 'wx'), path, filename, hash: createHash('sha256'), size: 0, head: new Uint8Array(0), done: false }
          } else if (UPLOAD_FIELDS.includes(name as never)) {
            if (fields[name as keyof typeof fields] !== undefined) throw invalidField(`/${name}`, 'must be given once')
            field = { name: name as (typeof UPLOAD_FIELDS)[number], bytes: [] }
          } else {
            throw invalidField(`/${name ?? ''}`, `is not a field of a document upload (it takes file, ${UPLOAD_FIELDS.join(', ')})`)
          }
        } else if (e.type === 'data') {
          if (field) {
            if (field.bytes.length + e.bytes.byteLength > MAX_FIELD_BYTES) throw invalidField(`/${field.name}`, `must be at most ${MAX_FIELD_BYTES} bytes`)
            field.bytes.push(...e.bytes)
            continue
          }
          file!.size += e.bytes.byteLength
          if (file!.size > o.maxBytes) throw documentTooLarge(o.maxBytes)
          if (!file!.type) {
            const head = new Uint8Array(Math.min(SNIFF_BYTES, file!.head.length + e.bytes.byteLength))
            head.set(file!.head)
            head.set(e.bytes.subarray(0, head.length - file!.head.length), file!.head.length)
            file!.head = head
            if (head.length === SNIFF_BYTES) sniff()
          }
          file!.hash.update(e.bytes)
          await file!.handle.write(e.bytes)
        } else if (field) {
          fields[field.name] = new TextDecoder().decode(new Uint8Array(field.bytes))
          field = undefined
        } else {
          if (!file!.type) sniff()
          file!.done = true
        }
      }
      if (parser.done) break
    }
    parser.end()
    if (!file?.done) throw invalidField('/file', 'is required')
    await file.handle.close()
    finished = true
    return { fields, file: { path: file.path, filename: file.filename, contentType: file.type!, size: file.size, sha256: file.hash.digest('hex') } }
  } finally {
    if (!finished) {
      await reader.cancel().catch(() => {})
      if (file) {
        await file.handle.close().catch(() => {})
        await rm(file.path, { force: true })
      }
    }
  }
}
