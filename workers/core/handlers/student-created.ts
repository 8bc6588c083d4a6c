import { stageTracking, studentDirectory } from '../../../schemas/db/core.ts'
import type { EventHandlers } from '../../kit/define.ts'

/**
 * Keeps core's student directory (who a student is, without asking profile)
 * and opens the student's stage tracking once: a student who already has one
 * gets nothing new and nothing emitted.
 */
export const studentCreated: NonNullable<EventHandlers['student.created']> = async (event, { tx, emit }) => {
  const { student_id, user_id, email } = event.payload
  await tx
    .insert(studentDirectory)
    .values({ studentId: student_id, userId: user_id, email })
    .onConflictDoUpdate({ target: studentDirectory.studentId, set: { userId: user_id, email, updatedAt: new Date() } })

  const [tracking] = await tx
    .insert(stageTracking)
    .values({ id: crypto.randomUUID(), studentId: student_id, status: 'not_started', stagesCompleted: 0 })
    .onConflictDoNothing({ target: stageTracking.studentId })
    .returning({ id: stageTracking.id })
  if (tracking) emit('stage.tracking_initialized', { student_id, tracking_id: tracking.id })
}
