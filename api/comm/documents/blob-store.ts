import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { S3Client } from 'bun'
import { TransientError } from '../../../core/index.ts'

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

const exists = (path: string) => stat(path).then(
  () => true,
  () => false,
)

/** Blobs as files in a local folder; an upload arrives in its `.incoming` folder, so that a put is a rename. */
export function folderStore(dir: string): BlobStore {
  const incoming = join(dir, '.incoming')
  return {
    incoming,
    async put(sha256, path) {
      const target = join(dir, blobKey(sha256))
      if (await exists(target)) return rm(path, { force: true })
      await mkdir(join(target, '..'), { recursive: true })
      await rename(path, target)
    },
    async get(sha256) {
      const path = join(dir, blobKey(sha256))
      return (await exists(path)) ? Bun.file(path) : undefined
    },
  }
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
  return {
    incoming: join(tmpdir(), 'medtrack-documents'),
    async put(sha256, path, contentType) {
      try {
        const key = blobKey(sha256)
        if (await client.file(key).exists()) return
        // One PUT of the file (S3 takes up to 5 GiB so), read from disk as it is sent: the client's own
        // uploads (`write`, `writer`) hold parts of at least 5 MiB in memory, several at once (measured).
        const res = await fetch(client.presign(key, { method: 'PUT', expiresIn: 300, type: contentType }), { method: 'PUT', body: Bun.file(path), headers: { 'content-type': contentType } })
        await res.body?.cancel()
        if (!res.ok) throw new TransientError('BLOB_STORE_UNAVAILABLE', `the S3 store answered ${res.status} to a document's upload`)
      } finally {
        await rm(path, { force: true })
      }
    },
    async get(sha256) {
      const object = client.file(blobKey(sha256))
      return (await object.exists()) ? object.stream() : undefined
    },
  }
}
