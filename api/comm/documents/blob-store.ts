import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { S3Client } from 'bun'
import { describe, DomainError, hasErrorCode, TransientError, type Logger } from '../../../core/index.ts'

/**
 * Where documents' bytes are kept, under their SHA-256 (lower-case hex):
 * the same bytes put twice are one blob, so a put that finds its blob there
 * leaves it as it is.
 */
export interface BlobStore {
  /** A folder for an upload's bytes while they arrive, from which `put` takes them (made when first needed). */
  readonly incoming: string
  /** Moves (or copies) the file at `path` to the blob of `sha256`; the file is gone afterwards either way. */
  put(sha256: string, path: string, contentType: string): Promise<void>
  /**
   * The blob's bytes as a Response body read as it is sent, in pieces: undefined when there is none.
   * Bun sends a file's with its Content-Length (sendfile); any other stream's, chunked, whatever
   * Content-Length the response names (Bun 1.4 drops it: oven-sh/bun#10507).
   */
  get(sha256: string): Promise<Blob | ReadableStream<Uint8Array> | undefined>
}

const SHA256 = /^[0-9a-f]{64}$/

/** A blob's key: `ab/abcd…`, so that no folder holds every blob. */
export function blobKey(sha256: string): string {
  if (!SHA256.test(sha256)) throw new Error(`not a SHA-256 in hex: ${sha256}`)
  return `${sha256.slice(0, 2)}/${sha256}`
}

/** How long the S3 store is given to answer one request (the PUT of a document included) before it is taken as unreachable. */
export const S3_TIMEOUT_MS = 30_000

/**
 * A blob store's failure as the API answers it: a refusal of the domain or a
 * transient error as it is, anything else (a store that cannot be reached,
 * a connection refused or reset, a name that does not resolve, a timeout, a
 * disk that refuses a write) a transient error, answered 503 with Retry-After.
 */
export function unavailable(what: string, err: unknown): Error {
  if (err instanceof DomainError || err instanceof TransientError) return err
  return new TransientError('BLOB_STORE_UNAVAILABLE', `the blob store could not ${what}: ${describe(err)}`, { cause: err })
}

/** `work()`, its failures as `unavailable` says. */
async function guarded<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    throw unavailable(what, err)
  }
}

/** `promise`, or a timeout error once `ms` have passed without it settling. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} took more than ${ms} ms`), { code: 'ETIMEDOUT' })), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Whether there is a file at `path`: false when there is none (ENOENT, or a part of its path is no folder), any other failure thrown. */
const exists = (path: string) => stat(path).then(
  () => true,
  (err: unknown) => {
    if (hasErrorCode(err, ({ code }) => code === 'ENOENT' || code === 'ENOTDIR')) return false
    throw err
  },
)

/** Blobs as files in a local folder; an upload arrives in its `.incoming` folder, so that a put is a rename. */
export function folderStore(dir: string): BlobStore {
  const incoming = join(dir, '.incoming')
  return {
    incoming,
    put: (sha256, path) => {
      const target = join(dir, blobKey(sha256))
      return guarded('keep a document', async () => {
        if (await exists(target)) return rm(path, { force: true })
        await mkdir(join(target, '..'), { recursive: true })
        await rename(path, target)
      })
    },
    get: (sha256) => {
      const path = join(dir, blobKey(sha256))
      return guarded('read a document', async () => ((await exists(path)) ? Bun.file(path) : undefined))
    },
  }
}

/** How old a leftover upload file (`*.part`) must be before `removeStaleUploads` takes it: older than any upload still arriving. */
export const STALE_UPLOAD_MS = 60 * 60 * 1000

/**
 * Removes the `*.part` files in `incoming` last written more than
 * `olderThanMs` ago: uploads cut short by a stop of the API, which never
 * removed them. Fresh ones (an upload arriving now) are left, and so is
 * anything else in the folder. Answers how many went, and logs it.
 */
export async function removeStaleUploads(incoming: string, log: Logger, olderThanMs = STALE_UPLOAD_MS): Promise<number> {
  let names: string[]
  try {
    names = await readdir(incoming)
  } catch (err) {
    if (hasErrorCode(err, ({ code }) => code === 'ENOENT')) return 0
    throw err
  }
  const before = Date.now() - olderThanMs
  let removed = 0
  for (const name of names.filter((n) => n.endsWith('.part'))) {
    const path = join(incoming, name)
    const info = await stat(path).catch(() => undefined)
    if (!info?.isFile() || info.mtimeMs >= before) continue
    await rm(path, { force: true })
    removed++
  }
  if (removed > 0) log.info('removed leftover upload files', { folder: incoming, removed })
  else log.debug('no leftover upload files', { folder: incoming })
  return removed
}

export interface S3Settings {
  endpoint: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
  region: string
}

/** Blobs as objects of an S3-compatible bucket (AWS, MinIO), keyed like the folder store's files; a store that cannot be reached is a 503. */
export function s3Store(s: S3Settings): BlobStore {
  const client = new S3Client({ endpoint: s.endpoint, bucket: s.bucket, accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, region: s.region })
  const has = (key: string) => within(S3_TIMEOUT_MS, 'asking the S3 store for an object', client.file(key).exists())
  return {
    incoming: join(tmpdir(), 'medtrack-documents'),
    async put(sha256, path, contentType) {
      try {
        const key = blobKey(sha256)
        await guarded('keep a document', async () => {
          if (await has(key)) return
          // One PUT of the file (S3 takes up to 5 GiB so), read from disk as it is sent: the client's own
          // uploads (`write`, `writer`) hold parts of at least 5 MiB in memory, several at once (measured).
          const res = await fetch(client.presign(key, { method: 'PUT', expiresIn: 300, type: contentType }), {
            method: 'PUT',
            body: Bun.file(path),
            headers: { 'content-type': contentType },
            signal: AbortSignal.timeout(S3_TIMEOUT_MS),
          })
          await res.body?.cancel()
          if (!res.ok) throw new TransientError('BLOB_STORE_UNAVAILABLE', `the S3 store answered ${res.status} to a document's upload`)
        })
      } finally {
        await rm(path, { force: true })
      }
    },
    get: (sha256) => {
      const key = blobKey(sha256)
      return guarded('read a document', async () => ((await has(key)) ? client.file(key).stream() : undefined))
    },
  }
}
