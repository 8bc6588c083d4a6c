/** How comm's documents look to a caller: what the API's reads and the worker's command results answer with. */
import { documents } from '../db/comm.ts'

export type DocumentRow = typeof documents.$inferSelect

/** A document's metadata; its bytes are at `/comm/api/documents/:id/content`. */
export function documentView(d: DocumentRow) {
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

export type DocumentView = ReturnType<typeof documentView>
