import { eq } from 'drizzle-orm'
import { forbidden, notFound, type Database } from '../../../core/index.ts'
import { students } from '../../../schemas/db/profile.ts'
import { studentView } from '../../../workers/profile/handlers/create-student.ts'
import type { Caller } from '../../kit/service-api.ts'

/** One student, as the caller may see it: admins and encadrants any, a student only their own. */
export async function getStudent(db: Database, caller: Caller, id: string) {
  const [row] = await db.select().from(students).where(eq(students.id, id))
  if (!row) throw notFound('student')
  if (caller.role === 'student' && row.userId !== caller.user_id) throw forbidden('a student sees only their own profile')
  return studentView(row)
}
