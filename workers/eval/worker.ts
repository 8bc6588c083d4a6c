import { tokenVersionHandlers } from '../kit/token-versions.ts'
import { evalRuntime, evalTokenVersions } from '../../schemas/db/eval.ts'
import { defineWorker } from '../kit/define.ts'
import { assignGrade } from './handlers/assign-grade.ts'
import { createEvaluation } from './handlers/create-evaluation.ts'
import { encadrantCreated, encadrantUpdated } from './handlers/encadrant-changed.ts'
import { stageAccepted, stageCancelled, stageCreated, stageStarted } from './handlers/stage-changed.ts'
import { stageCompleted } from './handlers/stage-completed.ts'
import { studentCreated } from './handlers/student-created.ts'
import { studentDeleted } from './handlers/student-deleted.ts'
import { updateEvaluation } from './handlers/update-evaluation.ts'

/**
 * Evaluations and final grades: a read model of stages, encadrants and
 * students from their events, the pending evaluation a completed stage opens
 * for its encadrant, and the commands of eval's API. `student.updated` and
 * `stage.tracking_initialized` are acked unhandled.
 */
export const evalWorker = defineWorker({
  service: 'eval',
  tables: evalRuntime,
  commands: {
    'eval.create_evaluation': createEvaluation,
    'eval.update_evaluation': updateEvaluation,
    'eval.assign_grade': assignGrade,
  },
  events: {
    'stage.created': stageCreated,
    'stage.accepted': stageAccepted,
    'stage.started': stageStarted,
    'stage.completed': stageCompleted,
    'stage.cancelled': stageCancelled,
    'encadrant.created': encadrantCreated,
    'encadrant.updated': encadrantUpdated,
    'student.created': studentCreated,
    'student.deleted': studentDeleted,
    ...tokenVersionHandlers(evalTokenVersions),
  },
})
