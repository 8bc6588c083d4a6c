import { createHash } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { canonicalJson, DomainError, newId, type Database, type Logger } from '../../../core/index.ts'
import { Type } from '@sinclair/typebox'
import { documentView, DocumentView } from '../../../schemas/views/comm.ts'
import { Page } from '../../kit/openapi.ts'
import type { ServiceApi } from '../../kit/service-api.ts'
import type { BlobStore } from './blob-store.ts'
import { attachmentDisposition } from './disposition.ts'
import { assertMayUpload, uploadTarget } from './access.ts'
import { documentFilename, DocumentParams, DocumentQuery, documents, UploadForm, uploadFields, type UploadFields } from './model.ts'
import { findDocument, listDocuments } from './read.ts'
import { receiveUpload } from './upload.ts'

export interface DocumentDeps {
  db: Database
  store: BlobStore
  /** DOCUMENT_MAX_BYTES. */
  maxBytes: number
  log: Logger
}

/**
 * `/documents`: a student's documents, uploaded as multipart/form-data and
 * streamed (never held whole) into the blob store before the worker records
 * them; read by the student, the encadrants of their stages and admins.
 */
export const documentRoutes = (app: ServiceApi<'comm'>, d: DocumentDeps) =>
  app
    .post(
      '/documents',
      async ({ request, user, send }) => {
        // Who may upload nothing is refused before the body is read.
        await assertMayUpload(d.db, user)
        const { fields, file } = await receiveUpload(request, { maxBytes: d.maxBytes, incoming: d.store.incoming })
        let target: Awaited<ReturnType<typeof uploadTarget>>
        let filename: string
        let kind: UploadFields['kind']
        try {
          const checked = uploadFields(fields)
          kind = checked.kind
          filename = documentFilename(file.filename)
          target = await uploadTarget(d.db, user, checked)
          // The bytes are kept before the row is asked for: a row never names bytes that are not there.
          await d.store.put(file.sha256, file.path, file.contentType)
        } finally {
          await rm(file.path, { force: true })
        }
        // Under an Idempotency-Key, the same form (its fields and the file's bytes) again is the same upload, another one is not.
        const bodyHash = createHash('sha256').update(canonicalJson({ fields, sha256: file.sha256, filename: file.filename })).digest('hex')
        return send(
          'comm.register_document',
          {
            document_id: newId(),
            student_id: target.studentId,
            ...(target.stageId ? { stage_id: target.stageId } : {}),
            kind,
            filename,
            content_type: file.contentType,
            size: file.size,
            sha256: file.sha256,
            uploaded_by: user.user_id,
          },
          { bodyHash },
        )
      },
      {
        auth: true,
        streamed: true,
        answers: documents.command('comm.register_document', {
          403: 'a caller who may not upload for this student or stage',
          413: 'a file over DOCUMENT_MAX_BYTES',
          415: 'not multipart/form-data, or a file that is not a PDF, PNG or JPEG',
          422: 'a field invalid (`/kind`, `/stage_id`, `/student_id`, `/file`)',
        }),
        detail: {
          summary: 'Upload a document (multipart/form-data: file, kind, stage_id?, student_id?): a PDF, PNG or JPEG of at most DOCUMENT_MAX_BYTES',
          requestBody: UploadForm as never,
        },
      },
    )
    .get('/documents', ({ query, user }) => listDocuments(d.db, user, query), {
      auth: true,
      query: DocumentQuery,
      answers: documents.read(Page(DocumentView), { 403: "another student's documents" }),
      detail: { summary: "Documents the caller may see, newest first: a student's own, an encadrant's stages' students', every one for an admin" },
    })
    .get('/documents/:id', async ({ params, user }) => documentView(await findDocument(d.db, user, params.id)), {
      auth: true,
      params: DocumentParams,
      answers: documents.read(DocumentView),
      detail: { summary: "One document's metadata (404 to anyone who may not see it)" },
    })
    .get(
      '/documents/:id/content',
      async ({ params, user, set }) => {
        const row = await findDocument(d.db, user, params.id)
        const bytes = await d.store.get(row.sha256)
        if (!bytes) {
          d.log.error('a document row names bytes the blob store does not hold', { document_id: row.id, sha256: row.sha256 })
          throw new DomainError(404, 'NOT_FOUND', 'document content not found')
        }
        return new Response(bytes, {
          headers: {
            ...(set.headers as Record<string, string>),
            'content-type': row.contentType,
            'content-length': String(row.size),
            'content-disposition': attachmentDisposition(row.filename),
            'x-content-type-options': 'nosniff',
            'cache-control': 'private, no-store',
          },
        })
      },
      {
        auth: true,
        params: DocumentParams,
        answers: documents.answers({ 200: Type.String({ format: 'binary' }) }, { media: ['application/pdf', 'image/png', 'image/jpeg'] }),
        detail: { summary: "A document's bytes, streamed, as an attachment with its name" },
      },
    )
