import { opsRuntime } from '../../schemas/db/ops.ts'
import { defineWorker } from '../kit/define.ts'
import { purgeDeadLettersCommand, replayDeadLettersCommand } from './handlers/dead-letters.ts'
import { keepEvents } from './keep-events.ts'
import { auditRetention } from './retention.ts'
import type { OpsSettings } from './settings.ts'

/**
 * The audit trail of every event on the exchange (and ops's token versions
 * from the account events among them), pruned past its retention, and what
 * operators do to a service's dead letters.
 */
export const opsWorker = (settings: OpsSettings) =>
  defineWorker({
    service: 'ops',
    tables: opsRuntime,
    everyEvent: keepEvents,
    commands: {
      'ops.replay_dead_letters': replayDeadLettersCommand,
      'ops.purge_dead_letters': purgeDeadLettersCommand,
    },
    background: [auditRetention(settings)],
  })
