import { and, eq, inArray, isNull, type SQL } from 'drizzle-orm'
import { DomainError, forbidden, type Database } from '../../../core/index.ts'
import { commEncadrants, commStages, commStudents, documents } from '../../../schemas/db/comm.ts'
import { SUPERVISED_STATUSES } from '../../../schemas/domain/messages.ts'
import type { Caller } from '../../kit/service-api.ts'

/*
 * Who may see a student's documents: the student, the encadrants who
 * supervise them (of a stage of theirs accepted, started or completed, as in
 * comm's copy of the stages; not one only created, nor one cancelled) and
 * admins. Who may upload one: the student for themself, an encadrant for a
 * stage they supervise (the document is that stage's student's), an admin
 * for any student.
 */

/** Whether a stage of this status makes its encadrant the student's supervisor. */
const supervising = (status: string) => (SUPERVISED_STATUSES as readonly string[]).includes(status)

/** Stages whose encadrant supervises their student, of one of `encadrants`. */
const supervisedBy = (encadrants: string[]) => and(inArray(commStages.encadrantId, encadrants), inArray(commStages.status, [...SUPERVISED_STATUSES]))

const invalid = (path: string, message: string) => new DomainError(422, 'VALIDATION_FAILED', 'invalid body', [{ path, message }])

/** The student profile of the caller's account, if comm knows one (and it is not deleted). */
async function ownStudentId(db: Database, userId: string): Promise<string | undefined> {
  const [row] = await db.select({ id: commStudents.studentId }).from(commStudents).where(and(eq(commStudents.userId, userId), isNull(commStudents.deletedAt)))
  return row?.id
}

/** The encadrant profiles of the caller's account. */
const encadrantIdsOf = async (db: Database, userId: string) =>
  (await db.select({ id: commEncadrants.encadrantId }).from(commEncadrants).where(eq(commEncadrants.userId, userId))).map((r) => r.id)

/** Whether `caller` may see the documents of `studentId`. */
export async function maySee(db: Database, caller: Caller, studentId: string): Promise<boolean> {
  if (caller.role === 'admin') return true
  if (caller.role === 'student') return (await ownStudentId(db, caller.user_id)) === studentId
  const encadrants = await encadrantIdsOf(db, caller.user_id)
  if (encadrants.length === 0) return false
  const [stage] = await db
    .select({ id: commStages.stageId })
    .from(commStages)
    .where(and(eq(commStages.studentId, studentId), supervisedBy(encadrants)))
    .limit(1)
  return stage !== undefined
}

/**
 * Which documents a list may show `caller`, as a condition on `documents`:
 * all for an admin, a student's own, the students of an encadrant's stages.
 * A list of a student the caller may not see is 403.
 */
export async function visibleDocuments(db: Database, caller: Caller, studentId: string | undefined): Promise<SQL | undefined> {
  if (studentId !== undefined) {
    if (!(await maySee(db, caller, studentId))) throw forbidden("you may not see this student's documents")
    return eq(documents.studentId, studentId)
  }
  if (caller.role === 'admin') return undefined
  if (caller.role === 'student') {
    const own = await ownStudentId(db, caller.user_id)
    if (!own) throw forbidden('your student profile is not known here yet')
    return eq(documents.studentId, own)
  }
  const encadrants = await encadrantIdsOf(db, caller.user_id)
  if (encadrants.length === 0) throw forbidden('your encadrant profile is not known here yet')
  const supervised = db.select({ id: commStages.studentId }).from(commStages).where(supervisedBy(encadrants))
  return inArray(documents.studentId, supervised)
}

/**
 * Refuses (403), before a byte of the form is read, a caller who may upload
 * nothing whatever the form says: a student comm knows no profile of, an
 * encadrant who supervises no stage. The rest is for `uploadTarget`.
 */
export async function assertMayUpload(db: Database, caller: Caller): Promise<void> {
  if (caller.role === 'student' && !(await ownStudentId(db, caller.user_id))) throw forbidden('your student profile is not known here yet')
  if (caller.role === 'encadrant') {
    const encadrants = await encadrantIdsOf(db, caller.user_id)
    if (encadrants.length === 0) throw forbidden('your encadrant profile is not known here yet')
    const [stage] = await db.select({ id: commStages.stageId }).from(commStages).where(supervisedBy(encadrants)).limit(1)
    if (!stage) throw forbidden('an encadrant uploads documents for the stages they supervise only')
  }
}

/** The student and stage an upload is for, from what the form says and who sends it; refused (403, 422) when the caller may not upload it. */
export async function uploadTarget(db: Database, caller: Caller, fields: { student_id?: string; stage_id?: string }): Promise<{ studentId: string; stageId?: string }> {
  const stage = fields.stage_id === undefined ? undefined : (await db.select().from(commStages).where(eq(commStages.stageId, fields.stage_id)))[0]
  if (caller.role === 'student') {
    const own = await ownStudentId(db, caller.user_id)
    if (!own) throw forbidden('your student profile is not known here yet')
    if (fields.student_id !== undefined && fields.student_id !== own) throw forbidden('a student uploads documents for themself only')
    if (fields.stage_id !== undefined && stage?.studentId !== own) throw invalid('/stage_id', 'must be one of your stages')
    return { studentId: own, stageId: fields.stage_id }
  }
  if (caller.role === 'encadrant') {
    if (fields.stage_id === undefined) throw invalid('/stage_id', 'is required: an encadrant uploads for a stage they supervise')
    const encadrants = await encadrantIdsOf(db, caller.user_id)
    if (!stage || !stage.studentId || !stage.encadrantId || !encadrants.includes(stage.encadrantId) || !supervising(stage.status)) throw forbidden('an encadrant uploads documents for the stages they supervise only')
    if (fields.student_id !== undefined && fields.student_id !== stage.studentId) throw invalid('/student_id', "must be the stage's student")
    return { studentId: stage.studentId, stageId: stage.stageId }
  }
  if (fields.student_id === undefined) throw invalid('/student_id', 'is required: an admin names the student the document is for')
  const [student] = await db.select().from(commStudents).where(and(eq(commStudents.studentId, fields.student_id), isNull(commStudents.deletedAt)))
  if (!student) throw invalid('/student_id', 'must name a student')
  if (fields.stage_id !== undefined && stage?.studentId !== fields.student_id) throw invalid('/stage_id', "must be one of the student's stages")
  return { studentId: fields.student_id, stageId: fields.stage_id }
}
