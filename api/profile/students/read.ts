import { and, count, desc, eq } from 'drizzle-orm'
import { forbidden, notFound, type Database } from '../../../core/index.ts'
import { encadrants, students, supervisions } from '../../../schemas/db/profile.ts'
import { studentView } from '../../../schemas/views/profile.ts'
import type { Caller } from '../../kit/service-api.ts'
import { readPage, type PageRequest } from '../../kit/paging.ts'

/**
 * One student, as the caller may see it: admins any, a student their own, an
 * encadrant those whose stage they accepted until it is cancelled (403 otherwise).
 */
export async function getStudent(db: Database, caller: Caller, id: string) {
  const [row] = await db.select().from(students).where(eq(students.id, id))
  if (!row) throw notFound('student')
  if (caller.role === 'encadrant' && !(await supervises(db, caller.user_id, id))) throw forbidden('an encadrant sees only the students they supervise')
  if (caller.role === 'student' && row.userId !== caller.user_id) throw forbidden('a student sees only their own profile')
  return studentView(row)
}

/** Whether the encadrant profile of this account accepted a stage of the student that is not cancelled. */
async function supervises(db: Database, userId: string, studentId: string): Promise<boolean> {
  const [found] = await db
    .select({ stageId: supervisions.stageId })
    .from(supervisions)
    .innerJoin(encadrants, eq(encadrants.id, supervisions.encadrantId))
    .where(and(eq(encadrants.userId, userId), eq(supervisions.studentId, studentId), eq(supervisions.active, true)))
    .limit(1)
  return found !== undefined
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
