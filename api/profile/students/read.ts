import { count, desc, eq } from 'drizzle-orm'
import { forbidden, notFound, type Database } from '../../../core/index.ts'
import { students } from '../../../schemas/db/profile.ts'
import { studentView } from '../../../workers/profile/views.ts'
import type { Caller } from '../../kit/service-api.ts'
import { readPage, type PageRequest } from '../paging.ts'

/**
 * One student, as the caller may see it: admins any, a student their own (403 otherwise). Encadrants
 * will see the students they supervise once stages exist; until then, none (anyone may register as one).
 */
export async function getStudent(db: Database, caller: Caller, id: string) {
  const [row] = await db.select().from(students).where(eq(students.id, id))
  if (!row) throw notFound('student')
  if (caller.role === 'encadrant') throw forbidden('an encadrant sees only the students they supervise')
  if (caller.role === 'student' && row.userId !== caller.user_id) throw forbidden('a student sees only their own profile')
  return studentView(row)
}

/** The caller's own student profile; 404 when their account has none. */
export async function ownStudent(db: Database, caller: Caller) {
  const [row] = await db.select().from(students).where(eq(students.userId, caller.user_id))
  if (!row) throw notFound('student profile')
  return studentView(row)
}

/** Students, newest first, one page. */
export function listStudents(db: Database, request: PageRequest) {
  return readPage(
    request,
    async (limit, offset) => (await db.select().from(students).orderBy(desc(students.createdAt), desc(students.id)).limit(limit).offset(offset)).map(studentView),
    async () => (await db.select({ total: count() }).from(students))[0]?.total ?? 0,
  )
}
