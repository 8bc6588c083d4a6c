import { profileRuntime, profileTokenVersions } from '../../schemas/db/profile.ts'
import { defineWorker } from '../kit/define.ts'
import { inTurn, tokenVersionHandlers } from '../kit/token-versions.ts'
import { createEncadrant } from './handlers/create-encadrant.ts'
import { createEstablishment } from './handlers/create-establishment.ts'
import { createStudent } from './handlers/create-student.ts'
import { deleteEncadrant } from './handlers/delete-encadrant.ts'
import { deleteEstablishment } from './handlers/delete-establishment.ts'
import { deleteStudent } from './handlers/delete-student.ts'
import { stageAccepted } from './handlers/stage-accepted.ts'
import { stageCancelled } from './handlers/stage-cancelled.ts'
import { updateEncadrant } from './handlers/update-encadrant.ts'
import { updateEstablishment } from './handlers/update-establishment.ts'
import { updateStudent } from './handlers/update-student.ts'
import { userCreated } from './handlers/user-created.ts'
import { userDeleted } from './handlers/user-deleted.ts'
import { userVerified } from './handlers/user-verified.ts'

const accounts = tokenVersionHandlers(profileTokenVersions)

/**
 * Students, encadrants and establishments; a profile for each new account,
 * removed with it; who supervises whom, from core's stages; the accounts'
 * token versions, for the API; which accounts proved their address.
 */
export const profileWorker = defineWorker({
  service: 'profile',
  tables: profileRuntime,
  commands: {
    'profile.create_student': createStudent,
    'profile.update_student': updateStudent,
    'profile.delete_student': deleteStudent,
    'profile.create_encadrant': createEncadrant,
    'profile.update_encadrant': updateEncadrant,
    'profile.delete_encadrant': deleteEncadrant,
    'profile.create_establishment': createEstablishment,
    'profile.update_establishment': updateEstablishment,
    'profile.delete_establishment': deleteEstablishment,
  },
  events: {
    'user.created': inTurn(userCreated, accounts['user.created']),
    'user.verified': userVerified,
    'user.password_changed': accounts['user.password_changed'],
    'user.deleted': inTurn(userDeleted, accounts['user.deleted']),
    'stage.accepted': stageAccepted,
    'stage.cancelled': stageCancelled,
  },
})
