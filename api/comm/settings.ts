import { Type, type Static } from '@sinclair/typebox'
import { SERVER_BODY_CAP } from '../kit/errors.ts'
import { FORM_OVERHEAD_BYTES } from './documents/upload.ts'

/** The comm API's own settings, beside every API's: where documents are kept and how large they may be, and how often a live stream hears a heartbeat. */
export const CommApiSettings = Type.Object({
  /** The largest document taken, in bytes (larger: 413). At most what the server takes of a body, less a form's fields. @default 10485760 (10 MiB) */
  DOCUMENT_MAX_BYTES: Type.Integer({ minimum: 1, maximum: SERVER_BODY_CAP - FORM_OVERHEAD_BYTES, default: 10 * 1024 * 1024 }),
  /** The folder documents are kept in when no S3 bucket is set. @default ./data/documents */
  DOCUMENTS_DIR: Type.String({ minLength: 1, default: './data/documents' }),
  /** An S3-compatible endpoint (`https://s3.eu-west-3.amazonaws.com`, `http://minio:9000`): documents go to S3_BUCKET there instead of DOCUMENTS_DIR. */
  S3_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  S3_BUCKET: Type.Optional(Type.String({ minLength: 1 })),
  S3_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** @default us-east-1 */
  S3_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  /** How often an open notification stream gets a heartbeat (an SSE comment), in ms: below every proxy's idle timeout. @default 15000 */
  STREAM_HEARTBEAT_MS: Type.Integer({ minimum: 1, default: 15_000 }),
})
export type CommApiSettings = Static<typeof CommApiSettings>

const S3_REQUIRED = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const

/** S3 is all or nothing: one S3_* setting without the others is a mistake, not a reason to fall back to the folder. */
export function commSettingsProblems(s: CommApiSettings): string[] {
  const given = S3_REQUIRED.filter((k) => s[k] !== undefined)
  if (given.length === 0 || given.length === S3_REQUIRED.length) return []
  return S3_REQUIRED.filter((k) => s[k] === undefined).map((k) => `${k}: is required when ${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} set (S3 needs ${S3_REQUIRED.join(', ')})`)
}
