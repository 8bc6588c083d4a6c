/** How comm's documents look to a caller: what the API's reads and the worker's command results answer with. */
import { Type, type Static } from '@sinclair/typebox'
import { DOCUMENT_KINDS, DOCUMENT_TYPES, documents } from '../db/comm.ts'
import { Id, Moment, Nullable } from './fields.ts'

export type DocumentRow = typeof documents.$inferSelect

/** A document's metadata; its bytes are at `/comm/api/documents/:id/content`. */
export const DocumentView = Type.Object({
  id: Id,
  student_id: Id,
  stage_id: Nullable(Id),
  kind: Type.Union(DOCUMENT_KINDS.map((k) => Type.Literal(k))),
  filename: Type.String(),
  content_type: Type.Union(DOCUMENT_TYPES.map((k) => Type.Literal(k))),
  size: Type.Integer({ minimum: 0, description: 'bytes' }),
  sha256: Type.String(),
  uploaded_by: Id,
  created_at: Moment,
})

export function documentView(d: DocumentRow): DocumentView {
  return {
    id: d.id,
    student_id: d.studentId,
    stage_id: d.stageId,
    kind: d.kind,
    filename: d.filename,
    content_type: d.contentType,
    size: d.size,
    sha256: d.sha256,
    uploaded_by: d.uploadedBy,
    created_at: d.createdAt.toISOString(),
  }
}

export type DocumentView = Static<typeof DocumentView>
