import { eq } from 'drizzle-orm'
import { documents } from '../../../schemas/db/comm.ts'
import { documentView } from '../../../schemas/views/comm.ts'
import type { CommandHandlers } from '../../kit/define.ts'

/**
 * Records a document (its bytes already in the blob store) and emits
 * `document.uploaded`, once per `document_id`: the same command again answers
 * the row it made and emits nothing.
 */
export const registerDocument: NonNullable<CommandHandlers['comm.register_document']> = async ({ payload: p }, { tx, emit }) => {
  const [created] = await tx
    .insert(documents)
    .values({
      id: p.document_id,
      studentId: p.student_id,
      stageId: p.stage_id ?? null,
      kind: p.kind,
      filename: p.filename,
      contentType: p.content_type,
      size: p.size,
      sha256: p.sha256,
      uploadedBy: p.uploaded_by,
    })
    .onConflictDoNothing({ target: documents.id })
    .returning()
  if (!created) {
    const [kept] = await tx.select().from(documents).where(eq(documents.id, p.document_id))
    return { status: 201, body: documentView(kept!) }
  }
  emit('document.uploaded', { document_id: created.id, student_id: created.studentId, filename: created.filename, size: created.size })
  return { status: 201, body: documentView(created) }
}
