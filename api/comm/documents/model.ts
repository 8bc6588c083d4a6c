import { Value } from '@sinclair/typebox/value'
import { t } from 'elysia'
import { DomainError } from '../../../core/index.ts'
import { DOCUMENT_KINDS } from '../../../schemas/db/comm.ts'
import { validationProblems } from '../../kit/errors.ts'
import { feature } from '../../kit/openapi.ts'
import { PageQuery } from '../../kit/paging.ts'

export const documents = feature('documents', "A student's documents (conventions, reports, certificates): uploaded as multipart/form-data, read by the student, the encadrants of their stages and admins")

const Id = t.String({ format: 'uuid' })

/** The text fields of an upload's form, beside its `file`. */
export const UploadFields = t.Object({
  kind: t.Union(DOCUMENT_KINDS.map((k) => t.Literal(k)), { description: `what the document is: ${DOCUMENT_KINDS.join(', ')}` }),
  stage_id: t.Optional({ ...Id, description: 'the stage it belongs to: one of the student’s' }),
  student_id: t.Optional({ ...Id, description: 'whose document it is: required of an admin; a student’s own, an encadrant’s stage’s student' }),
})
export type UploadFields = typeof UploadFields.static

/** The form's fields checked like a JSON body's: 422 naming each one that is wrong. */
export function uploadFields(fields: Record<string, string>): UploadFields {
  const problems = validationProblems('body', [...Value.Errors(UploadFields, fields)] as never)
  if (problems.length > 0) throw new DomainError(422, 'VALIDATION_FAILED', 'invalid body', problems)
  return fields as UploadFields
}

const CONTROL = /[\u0000-\u001F\u007F-\u009F]/

/** The name a file is kept under: its last path segment (some clients send a whole path), trimmed, one line, at most 255 characters. */
export function documentFilename(given: string): string {
  const name = given.split(/[\\/]/).pop()!.trim()
  const refuse = (message: string) => new DomainError(422, 'VALIDATION_FAILED', 'invalid body', [{ path: '/file', message }])
  if (name === '') throw refuse('must have a filename')
  if (CONTROL.test(name)) throw refuse('must have a filename without control characters')
  if ([...name].length > 255) throw refuse('must have a filename of at most 255 characters')
  return name
}

export const DocumentQuery = t.Object({
  ...PageQuery.properties,
  student_id: t.Optional({ ...Id, description: 'of this student only (one the caller may see)' }),
  stage_id: t.Optional({ ...Id, description: 'of this stage only' }),
})

export const DocumentParams = t.Object({ id: Id })

/** The multipart form of an upload, for the OpenAPI document (the route reads the body itself, as a stream). */
export const UploadForm = {
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: ['file', 'kind'],
        properties: {
          file: { type: 'string', format: 'binary', description: 'a PDF, PNG or JPEG, recognised by its first bytes; at most DOCUMENT_MAX_BYTES' },
          kind: { type: 'string', enum: [...DOCUMENT_KINDS] },
          stage_id: { type: 'string', format: 'uuid' },
          student_id: { type: 'string', format: 'uuid' },
        },
      },
    },
  },
}
