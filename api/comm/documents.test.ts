import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { readdirSync } from 'node:fs'
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Names, parseConfig } from '../../core/index.ts'
import { CommSettings } from '../../workers/comm/settings.ts'
import { commEncadrants, commStages, documents } from '../../schemas/db/comm.ts'
import { waitFor, type EventTap } from '../../test/broker.ts'
import { pdfBytes, pngBytes, seedSupervision, startS3, tempFolder, uploadForm } from '../../test/documents.ts'
import { bearer, startService, tokenFor, type Service } from '../../test/service.ts'
import { commWorker } from '../../workers/comm/worker.ts'
import { commApi } from './app.ts'

/** Small enough that a test sends more than it in a moment. */
const MAX_BYTES = 256 * 1024

/** Both blob stores pass the same tests: a local folder, and an S3 bucket on a real S3-compatible server. */
const STORES = [
  {
    name: 'the folder store (DOCUMENTS_DIR)',
    /** A file is sent with its length; a stream (an S3 object's) chunked, Bun dropping the length it is given. */
    sendsLength: true,
    async start() {
      const folder = await tempFolder('documents')
      return { env: { DOCUMENTS_DIR: folder.path }, incoming: join(folder.path, '.incoming'), blobs: async () => (await readdir(folder.path, { recursive: true })).filter((f) => /[0-9a-f]{64}$/.test(f)).length, close: folder.remove }
    },
  },
  {
    name: 'the S3 store (S3_*, against s3rver)',
    sendsLength: false,
    async start() {
      const s3 = await startS3()
      // s3rver keeps each object as a folder holding `<key>._S3rver_object`.
      const blobs = async () => (await readdir(s3.folder, { recursive: true })).filter((f) => f.endsWith('._S3rver_object')).length
      return { env: s3.env, incoming: join(tmpdir(), 'medtrack-documents'), blobs, close: s3.close }
    },
  },
]

for (const store of STORES) {
  describe(store.name, () => {
    let s: Service
    let tap: EventTap
    let blobStore: Awaited<ReturnType<(typeof STORES)[number]['start']>>
    let people: Awaited<ReturnType<typeof seedSupervision>>

    beforeAll(async () => {
      blobStore = await store.start()
      s = await startService({ label: 'comm_documents', api: commApi, worker: commWorker(parseConfig(CommSettings, {})), env: { ...blobStore.env, DOCUMENT_MAX_BYTES: String(MAX_BYTES) } })
      tap = await s.tap('document.*')
      people = await seedSupervision(s.database.db)
    })
    afterAll(async () => {
      await s.close()
      await blobStore.close()
    })

    const url = (path: string) => s.url(`/comm/api${path}`)
    const as = async (role: 'student' | 'encadrant' | 'admin', userId?: string) => bearer(await tokenFor(role, userId))
    const upload = async (headers: Record<string, string>, body: BodyInit, extra: Record<string, string> = {}) => fetch(url('/documents'), { method: 'POST', headers: { ...headers, ...extra }, body })
    const getJson = async (path: string, headers: Record<string, string>) => {
      const res = await fetch(url(path), { headers })
      return { status: res.status, body: await res.json() }
    }

    test('a student uploads a PDF for their stage → 201 with its metadata and document.uploaded; listed, read and downloaded byte for byte', async () => {
      const student = await as('student', people.studentUser)
      const bytes = pdfBytes(100_000)
      const res = await upload(student, uploadForm(bytes, 'convention de stage.pdf', { kind: 'convention', stage_id: people.stage }, 'text/plain'))
      expect(res.status).toBe(201)
      const made = await res.json()
      const hash = new Bun.CryptoHasher('sha256').update(bytes).digest('hex')
      expect(made).toEqual({
        id: expect.any(String),
        student_id: people.student,
        stage_id: people.stage,
        kind: 'convention',
        filename: 'convention de stage.pdf',
        content_type: 'application/pdf',
        size: bytes.length,
        sha256: hash,
        uploaded_by: people.studentUser,
        created_at: expect.any(String),
      })
      await waitFor(() => tap.envelopes().some((e) => (e.payload as { document_id: string }).document_id === made.id), 10_000, 'document.uploaded')
      const event = tap.envelopes().find((e) => (e.payload as { document_id: string }).document_id === made.id)!
      expect(event).toMatchObject({ event_type: 'document.uploaded', service: 'comm-service', payload: { document_id: made.id, student_id: people.student, filename: 'convention de stage.pdf', size: bytes.length } })

      const listed = await getJson(`/documents?stage_id=${people.stage}`, student)
      expect(listed).toEqual({ status: 200, body: { items: [made], page: 1, per_page: 20, total: 1 } })
      expect(await getJson(`/documents/${made.id}`, student)).toEqual({ status: 200, body: made })

      const content = await fetch(url(`/documents/${made.id}/content`), { headers: student })
      expect(content.status).toBe(200)
      expect(content.headers.get('content-type')).toBe('application/pdf')
      if (store.sendsLength) expect(content.headers.get('content-length')).toBe(String(bytes.length))
      else expect(content.headers.get('transfer-encoding')).toBe('chunked')
      expect(content.headers.get('content-disposition')).toBe('attachment; filename="convention de stage.pdf"')
      expect(new Uint8Array(await content.arrayBuffer())).toEqual(bytes)
    })

    test('the same bytes twice are two documents and one blob; a PNG is typed by its bytes; a non-ASCII name is offered with filename*', async () => {
      const student = await as('student', people.studentUser)
      const before = await blobStore.blobs()
      const bytes = pdfBytes(5_000)
      const first = await (await upload(student, uploadForm(bytes, 'a.pdf'))).json()
      const second = await (await upload(student, uploadForm(bytes, 'b.pdf'))).json()
      expect(first.id).not.toBe(second.id)
      expect(first.sha256).toBe(second.sha256)
      expect(await blobStore.blobs()).toBe(before + 1)

      const png = await upload(student, uploadForm(pngBytes(), 'r\u00e9sum\u00e9 final.pdf', { kind: 'certificate' }, 'application/pdf'))
      expect(png.status).toBe(201)
      const made = await png.json()
      expect(made).toMatchObject({ content_type: 'image/png', filename: 'r\u00e9sum\u00e9 final.pdf', stage_id: null, kind: 'certificate' })
      const content = await fetch(url(`/documents/${made.id}/content`), { headers: student })
      expect(content.headers.get('content-type')).toBe('image/png')
      expect(content.headers.get('content-disposition')).toBe(`attachment; filename="r_sum_ final.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.pdf`)
      expect(new Uint8Array(await content.arrayBuffer())).toEqual(pngBytes())
    })

    test("the encadrant of the student's stage and an admin see the documents; another student or encadrant gets 404 for one and 403 for the list", async () => {
      const made = await (await upload(await as('student', people.studentUser), uploadForm(pdfBytes(1_000), 'seen.pdf', { kind: 'report', stage_id: people.stage }))).json()
      for (const who of [await as('encadrant', people.encadrantUser), await as('admin')]) {
        expect((await getJson(`/documents/${made.id}`, who)).body).toEqual(made)
        expect((await fetch(url(`/documents/${made.id}/content`), { headers: who })).status).toBe(200)
        const listed = await getJson(`/documents?student_id=${people.student}&per_page=100`, who)
        expect(listed.body.items.map((d: { id: string }) => d.id)).toContain(made.id)
      }
      const supervised = await getJson('/documents?per_page=100', await as('encadrant', people.encadrantUser))
      expect(supervised.body.items.map((d: { id: string }) => d.id)).toContain(made.id)

      const other = await seedSupervision(s.database.db)
      for (const stranger of [await as('student', other.studentUser), await as('encadrant', other.encadrantUser), await as('student')]) {
        expect(await getJson(`/documents/${made.id}`, stranger)).toEqual({ status: 404, body: { error: 'NOT_FOUND', message: 'document not found' } })
        const content = await fetch(url(`/documents/${made.id}/content`), { headers: stranger })
        expect(content.status).toBe(404)
        expect(await content.json()).toEqual({ error: 'NOT_FOUND', message: 'document not found' })
        const list = await getJson(`/documents?student_id=${people.student}`, stranger)
        expect(list.status).toBe(403)
        expect(list.body.error).toBe('FORBIDDEN')
      }
      // Their own lists do not hold it either.
      expect((await getJson('/documents', await as('student', other.studentUser))).body.items).toEqual([])
      expect((await getJson(`/documents/${crypto.randomUUID()}`, await as('admin'))).status).toBe(404)
      expect((await fetch(url(`/documents/${made.id}`))).status).toBe(401)
    })

    test('the encadrant of a stage of the student cancelled, or only created and never accepted: 404 for a document, 403 for the list and for an upload', async () => {
      const made = await (await upload(await as('student', people.studentUser), uploadForm(pdfBytes(1_000), 'kept.pdf', { kind: 'report' }))).json()
      for (const status of ['cancelled', 'created'] as const) {
        const former = { user: crypto.randomUUID(), encadrant: crypto.randomUUID(), stage: crypto.randomUUID() }
        await s.database.db.insert(commEncadrants).values({ encadrantId: former.encadrant, userId: former.user })
        await s.database.db.insert(commStages).values({ stageId: former.stage, studentId: people.student, encadrantId: former.encadrant, status })
        const who = await as('encadrant', former.user)
        expect(await getJson(`/documents/${made.id}`, who)).toEqual({ status: 404, body: { error: 'NOT_FOUND', message: 'document not found' } })
        expect((await fetch(url(`/documents/${made.id}/content`), { headers: who })).status).toBe(404)
        expect(await getJson(`/documents?student_id=${people.student}`, who)).toMatchObject({ status: 403, body: { error: 'FORBIDDEN' } })
        // Their own list does not hold it either.
        expect((await getJson('/documents?per_page=100', who)).body.items).toEqual([])
        const refused = await upload(who, uploadForm(pdfBytes(1_000), 'late.pdf', { kind: 'report', stage_id: former.stage }))
        expect(refused.status).toBe(403)
        expect((await refused.json()).error).toBe('FORBIDDEN')
      }
    })

    test('a caller who may upload nothing (a student comm knows no profile of, an encadrant who supervises no stage) → 403 before the body is read: no upload file written', async () => {
      const former = { user: crypto.randomUUID(), encadrant: crypto.randomUUID(), stage: crypto.randomUUID() }
      await s.database.db.insert(commEncadrants).values({ encadrantId: former.encadrant, userId: former.user })
      await s.database.db.insert(commStages).values({ stageId: former.stage, studentId: people.student, encadrantId: former.encadrant, status: 'cancelled' })
      const boundary = 'medtrackRefused'
      for (const who of [await as('student'), await as('encadrant'), await as('encadrant', former.user)]) {
        const head = new TextEncoder().encode(`--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nreport\r\n--${boundary}\r\nContent-Disposition: form-data; name="stage_id"\r\n\r\n${former.stage}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="refused.pdf"\r\n\r\n`)
        let sent = 0
        let written = false
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(head)
            c.enqueue(pdfBytes(16 * 1024))
          },
          pull(c) {
            written ||= readdirSync(blobStore.incoming).some((f) => f.endsWith('.part'))
            sent += 16 * 1024
            if (sent > 2 * MAX_BYTES) return c.close()
            c.enqueue(new Uint8Array(16 * 1024).fill(0x61))
          },
        })
        await mkdir(blobStore.incoming, { recursive: true })
        const res = await upload(who, body, { 'content-type': `multipart/form-data; boundary=${boundary}` })
        expect(res.status).toBe(403)
        expect((await res.json()).error).toBe('FORBIDDEN')
        expect(written).toBe(false)
      }
    })

    test('a text file named .pdf, a renamed .exe or an empty file → 415 naming /file; nothing is kept', async () => {
      const student = await as('student', people.studentUser)
      const before = { blobs: await blobStore.blobs(), rows: (await s.database.db.select().from(documents)).length }
      const text = new TextEncoder().encode('Just some notes, not a PDF at all.\n')
      const exe = new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00])
      for (const [bytes, name] of [[text, 'notes.pdf'], [exe, 'setup.pdf'], [exe, 'photo.jpg'], [new Uint8Array(0), 'empty.pdf']] as const) {
        const res = await upload(student, uploadForm(bytes, name, { kind: 'report' }, 'application/pdf'))
        expect(res.status).toBe(415)
        expect(await res.json()).toEqual({ error: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('not a PDF, a PNG or a JPEG'), problems: [{ path: '/file', message: 'must be a PDF, PNG or JPEG file' }] })
      }
      const json = await upload(student, JSON.stringify({ kind: 'report' }), { 'content-type': 'application/json' })
      expect(json.status).toBe(415)
      expect((await json.json()).problems).toEqual([{ path: '/headers/content-type', message: 'must be multipart/form-data; boundary=…' }])
      expect(await blobStore.blobs()).toBe(before.blobs)
      expect((await s.database.db.select().from(documents)).length).toBe(before.rows)
    })

    test('over DOCUMENT_MAX_BYTES → 413, refused on its declared length or, sent without one, as soon as it passes the limit', async () => {
      const student = await as('student', people.studentUser)
      const declared = await upload(student, uploadForm(pdfBytes(MAX_BYTES + 1), 'big.pdf'))
      expect(declared.status).toBe(413)
      expect(await declared.json()).toEqual({ error: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining(String(MAX_BYTES)), problems: [{ path: '/file', message: `must be at most ${MAX_BYTES} bytes` }] })

      // Exactly the limit is taken.
      expect((await upload(student, uploadForm(pdfBytes(MAX_BYTES), 'just.pdf'))).status).toBe(201)

      // Streamed (chunked, no Content-Length): refused once the file passes the limit, the rest never sent.
      const boundary = 'medtrackStreamed'
      const head = new TextEncoder().encode(`--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nreport\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="endless.pdf"\r\n\r\n`)
      let sent = 0
      const endless = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(head)
          c.enqueue(pdfBytes(16 * 1024))
        },
        pull(c) {
          sent += 16 * 1024
          if (sent > 64 * MAX_BYTES) return c.close()
          c.enqueue(new Uint8Array(16 * 1024).fill(0x61))
        },
      })
      const streamed = await upload(student, endless, { 'content-type': `multipart/form-data; boundary=${boundary}` })
      expect(streamed.status).toBe(413)
      expect((await streamed.json()).error).toBe('PAYLOAD_TOO_LARGE')
      expect(sent).toBeLessThan(8 * MAX_BYTES)
    })

    test('who uploads for whom: an admin names the student; an encadrant uploads for a stage they supervise; a student for themself and their own stages', async () => {
      const admin = await as('admin')
      const form = (fields: Record<string, string>) => uploadForm(pdfBytes(2_000), 'x.pdf', fields)
      const problems = async (res: Response) => ({ status: res.status, body: await res.json() })

      expect(await problems(await upload(admin, form({ kind: 'report' })))).toEqual({
        status: 422,
        body: { error: 'VALIDATION_FAILED', message: 'invalid body', problems: [{ path: '/student_id', message: 'is required: an admin names the student the document is for' }] },
      })
      const byAdmin = await upload(admin, form({ kind: 'other', student_id: people.student }))
      expect(byAdmin.status).toBe(201)
      expect(await byAdmin.json()).toMatchObject({ student_id: people.student, stage_id: null })
      expect((await problems(await upload(admin, form({ kind: 'other', student_id: crypto.randomUUID() })))).body.problems).toEqual([{ path: '/student_id', message: 'must name a student' }])

      const encadrant = await as('encadrant', people.encadrantUser)
      const byEncadrant = await upload(encadrant, form({ kind: 'certificate', stage_id: people.stage }))
      expect(byEncadrant.status).toBe(201)
      expect(await byEncadrant.json()).toMatchObject({ student_id: people.student, stage_id: people.stage, uploaded_by: people.encadrantUser })
      expect((await upload(encadrant, form({ kind: 'certificate', stage_id: people.otherStage }))).status).toBe(403)
      expect((await problems(await upload(encadrant, form({ kind: 'certificate' })))).body.problems[0].path).toBe('/stage_id')

      const student = await as('student', people.studentUser)
      const other = await seedSupervision(s.database.db)
      expect((await problems(await upload(student, form({ kind: 'report', stage_id: other.stage })))).body.problems).toEqual([{ path: '/stage_id', message: 'must be one of your stages' }])
      expect((await upload(student, form({ kind: 'report', student_id: other.student }))).status).toBe(403)
      expect((await problems(await upload(student, form({ kind: 'thesis', stage_id: 'nope' })))).body.problems).toEqual([
        { path: '/kind', message: 'must be one of "convention", "report", "certificate", "other"' },
        { path: '/stage_id', message: expect.stringContaining('uuid') },
      ])
      const noFile = new FormData()
      noFile.append('kind', 'report')
      expect((await problems(await upload(student, noFile))).body.problems).toEqual([{ path: '/file', message: 'is required' }])
      const unknownField = uploadForm(pdfBytes(10), 'y.pdf', { kind: 'report', owner: 'me' })
      expect((await problems(await upload(student, unknownField))).body.problems[0].path).toBe('/owner')
      const cut = await upload(student, '--b\r\nContent-Disposition: form-data; name="kind"\r\n\r\nrep', { 'content-type': 'multipart/form-data; boundary=b' })
      expect((await problems(cut)).body.error).toBe('MALFORMED_MULTIPART')

      const anonymous = await upload({}, form({ kind: 'report' }))
      expect(anonymous.status).toBe(401)
      expect((await anonymous.json()).error).toBe('UNAUTHENTICATED')
    })

    test('under one Idempotency-Key the same form again is the same document; another file under that key is another document', async () => {
      const student = await as('student', people.studentUser)
      const key = { 'idempotency-key': crypto.randomUUID() }
      const first = await (await upload(student, uploadForm(pdfBytes(3_000), 'again.pdf'), key)).json()
      const again = await upload(student, uploadForm(pdfBytes(3_000), 'again.pdf'), key)
      expect(again.status).toBe(201)
      expect((await again.json()).id).toBe(first.id)
      const other = pdfBytes(3_000)
      other[2_999] = 0x01
      const another = await (await upload(student, uploadForm(other, 'again.pdf'), key)).json()
      expect(another.id).not.toBe(first.id)
    })

    test('/comm/api/docs/json documents the upload as a multipart form and every document route with a summary', async () => {
      const doc = await (await fetch(url('/docs/json'))).json()
      const post = doc.paths['/comm/api/documents'].post
      expect(post.summary).toContain('Upload a document')
      expect(post.requestBody.content['multipart/form-data'].schema).toMatchObject({ required: ['file', 'kind'], properties: { file: { type: 'string', format: 'binary' } } })
      for (const path of ['/comm/api/documents', '/comm/api/documents/{id}', '/comm/api/documents/{id}/content']) expect(doc.paths[path].get.summary).toEqual(expect.any(String))
    })

    test('comm.register_document delivered twice, or sent again under another command id: one row, one document.uploaded', async () => {
      const documentId = crypto.randomUUID()
      const payload = { document_id: documentId, student_id: people.student, kind: 'other', filename: 'twice.pdf', content_type: 'application/pdf', size: 10, sha256: 'a'.repeat(64), uploaded_by: people.studentUser }
      const publisher = s.connection.createPublisher({ confirm: true })
      const commandId = crypto.randomUUID()
      for (const id of [commandId, commandId, crypto.randomUUID()]) {
        await publisher.send(
          { routingKey: new Names(s.namespace).commandQueue('comm'), messageId: id, type: 'comm.register_document', durable: true, contentType: 'application/json' },
          { command_id: id, command_type: 'comm.register_document', correlation_id: null, actor: { user_id: people.studentUser, role: 'student' }, payload },
        )
      }
      await publisher.close()
      await waitFor(async () => (await s.database.db.select().from(documents).where(eq(documents.id, documentId))).length === 1, 10_000, 'the row')
      await waitFor(() => tap.envelopes().some((e) => (e.payload as { document_id: string }).document_id === documentId), 10_000, 'the event')
      // Long enough for the other two to have been applied.
      await Bun.sleep(1_000)
      expect(await s.database.db.select().from(documents).where(eq(documents.id, documentId))).toHaveLength(1)
      expect(tap.envelopes().filter((e) => (e.payload as { document_id: string }).document_id === documentId)).toHaveLength(1)
    })
  })
}


describe('an S3 store that cannot be reached (its endpoint a port nothing listens on)', () => {
  let s: Service
  let people: Awaited<ReturnType<typeof seedSupervision>>

  beforeAll(async () => {
    const closed = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const port = closed.port
    closed.stop(true)
    const env = { S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_BUCKET: 'medtrack-documents', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_REGION: 'us-east-1' }
    s = await startService({ label: 'comm_documents_s3_down', api: commApi, env: { ...env, DOCUMENT_MAX_BYTES: String(MAX_BYTES) } })
    people = await seedSupervision(s.database.db)
  })
  afterAll(async () => {
    await s.close()
  })

  test('an upload, and the download of a document it holds, answer 503 with Retry-After and a JSON body, not 500', async () => {
    const student = bearer(await tokenFor('student', people.studentUser))
    const res = await fetch(s.url('/comm/api/documents'), { method: 'POST', headers: student, body: uploadForm(pdfBytes(10_000), 'a.pdf') })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('5')
    expect(res.headers.get('content-type')).toContain('application/json')
    expect(await res.json()).toEqual({ error: 'SERVICE_UNAVAILABLE', message: expect.any(String) })

    const id = crypto.randomUUID()
    await s.database.db.insert(documents).values({ id, studentId: people.student, kind: 'report', filename: 'b.pdf', contentType: 'application/pdf', size: 10, sha256: 'b'.repeat(64), uploadedBy: people.studentUser })
    const content = await fetch(s.url(`/comm/api/documents/${id}/content`), { headers: student })
    expect(content.status).toBe(503)
    expect((await content.json()).error).toBe('SERVICE_UNAVAILABLE')
  })
})

describe('upload files left over by an earlier run', () => {
  test('as the API starts, the *.part files of DOCUMENTS_DIR/.incoming older than an hour are removed; a fresh one and other files stay', async () => {
    const folder = await tempFolder('documents-leftovers')
    const incoming = join(folder.path, '.incoming')
    await mkdir(incoming, { recursive: true })
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000)
    for (const name of ['old.part', 'fresh.part', 'old.txt']) await writeFile(join(incoming, name), 'partial upload')
    for (const name of ['old.part', 'old.txt']) await utimes(join(incoming, name), twoHoursAgo, twoHoursAgo)
    const s = await startService({ label: 'comm_documents_leftovers', api: commApi, env: { DOCUMENTS_DIR: folder.path } })
    try {
      await waitFor(async () => !(await readdir(incoming)).includes('old.part'), 10_000, 'the old upload file removed')
      expect((await readdir(incoming)).sort()).toEqual(['fresh.part', 'old.txt'])
    } finally {
      await s.close()
      await folder.remove()
    }
  })
})
