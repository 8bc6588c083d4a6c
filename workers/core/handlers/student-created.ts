import { stageTracking, studentDirectory } from '../../../schemas/db/core.ts'
import type { EventHandlers } from '../../kit/define.ts'
import { rememberStudent } from '../../kit/student-directory.ts'

/**
 * Keeps core's student directory (who a student is, without asking profile)
 * and opens the student's stage tracking once: a student who already has one
 * gets nothing new and nothing emitted, nor does a student already deleted;
 * an event naming another account than the student's is refused.
 */
export const studentCreated: NonNullable<EventHandlers['student.created']> = async (event, { tx, emit, log }) => {
  if ((await rememberStudent(tx, studentDirectory, event, log)) === 'deleted') return
  const { student_id } = event.payload
  const [tracking] = await tx
    .insert(stageTracking)
    .values({ id: crypto.randomUUID(), studentId: student_id, status: 'not_started', stagesCompleted: 0 })
    .onConflictDoNothing({ target: stageTracking.studentId })
    .returning({ id: stageTracking.id })
  if (tracking) emit('stage.tracking_initialized', { student_id, tracking_id: tracking.id })
}
