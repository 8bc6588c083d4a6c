import { coreRuntime, coreTokenVersions } from '../../schemas/db/core.ts'
import { defineWorker } from '../kit/define.ts'
import { tokenVersionHandlers } from '../kit/token-versions.ts'
import { encadrantCreated, encadrantUpdated, establishmentCreated, gradeAssigned } from './handlers/directory.ts'
import { createOffer, updateOffer } from './handlers/offers.ts'
import { createStage, moveStageCommand } from './handlers/stages.ts'
import { studentCreated } from './handlers/student-created.ts'
import { studentDeleted } from './handlers/student-deleted.ts'
import { studentUpdated } from './handlers/student-updated.ts'
import type { CoreSettings } from './settings.ts'
import { stageSweep } from './stage-sweep.ts'

/**
 * Offers and stages; who the students, encadrants and establishments are,
 * from profile's events; each stage's grade, from eval's; the accounts' token
 * versions, for the API; and the sweep that starts accepted stages on their day.
 */
export function coreWorker(settings: CoreSettings = { STAGE_SWEEP_MS: 60_000 }) {
  return defineWorker({
    service: 'core',
    tables: coreRuntime,
    events: {
      'student.created': studentCreated,
      'student.updated': studentUpdated,
      'student.deleted': studentDeleted,
      'establishment.created': establishmentCreated,
      'encadrant.created': encadrantCreated,
      'encadrant.updated': encadrantUpdated,
      'grade.assigned': gradeAssigned,
      ...tokenVersionHandlers(coreTokenVersions),
    },
    commands: {
      'core.create_offer': createOffer,
      'core.update_offer': updateOffer,
      'core.create_stage': createStage,
      'core.move_stage': moveStageCommand,
    },
    background: [stageSweep(settings.STAGE_SWEEP_MS)],
  })
}
