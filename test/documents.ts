import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver from 's3rver'
import type { Database } from '../core/index.ts'
import { commEncadrants, commStages, commStudents } from '../schemas/db/comm.ts'

/** A PDF's first bytes, then `size` bytes in all of a pattern that a test can check byte for byte. */
export function pdfBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size).map((_, i) => (i * 31 + 7) % 251)
  bytes.set(new TextEncoder().encode('%PDF-1.7\n'))
  return bytes
}

/** A PNG's signature and a few bytes. */
export const pngBytes = () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])

/** A form of an upload, as a browser sends it. */
export function uploadForm(file: Uint8Array<ArrayBuffer>, filename: string, fields: Record<string, string> = { kind: 'report' }, type = 'application/pdf'): FormData {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  form.append('file', new Blob([file], { type }), filename)
  return form
}

/** A temporary folder for a folder blob store; `remove()` deletes it. */
export async function tempFolder(label: string) {
  const path = await mkdtemp(join(tmpdir(), `medtrack-${label}-`))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/** An S3-compatible server of its own (s3rver) with one bucket, and the S3_* settings that name it. */
export async function startS3(bucket = 'medtrack-documents') {
  const folder = await tempFolder('s3')
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: folder.path, configureBuckets: [{ name: bucket, configs: [] }] })
  const { port } = await server.run()
  return {
    env: { S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_BUCKET: bucket, S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_REGION: 'us-east-1' },
    folder: folder.path,
    async close() {
      await server.close()
      await folder.remove()
    },
  }
}

/**
 * People as comm knows them from profile's and core's events: a student (of
 * `studentUser`), an encadrant (of `encadrantUser`) supervising the student's
 * stage, and another stage of the student's without an encadrant yet.
 */
export async function seedSupervision(db: Database) {
  const ids = {
    studentUser: crypto.randomUUID(),
    student: crypto.randomUUID(),
    encadrantUser: crypto.randomUUID(),
    encadrant: crypto.randomUUID(),
    stage: crypto.randomUUID(),
    otherStage: crypto.randomUUID(),
  }
  await db.insert(commStudents).values({ studentId: ids.student, userId: ids.studentUser, email: `s-${ids.student.slice(0, 8)}@example.org` })
  await db.insert(commEncadrants).values({ encadrantId: ids.encadrant, userId: ids.encadrantUser })
  await db.insert(commStages).values([
    { stageId: ids.stage, studentId: ids.student, encadrantId: ids.encadrant, status: 'accepted' },
    { stageId: ids.otherStage, studentId: ids.student, status: 'created' },
  ])
  return ids
}
