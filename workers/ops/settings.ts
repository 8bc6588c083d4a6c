import { Type, type Static } from '@sinclair/typebox'

/** What the ops worker reads from the environment beside the kit's settings: how long the audit trail keeps events. */
export const OpsSettings = Type.Object({
  /** Audit rows received longer ago than this many days are deleted. @default 365 */
  AUDIT_RETENTION_DAYS: Type.Integer({ minimum: 1, default: 365 }),
  /** Rows one DELETE removes at most: the prune deletes in rounds of this many until none is left. @default 5000 */
  AUDIT_PRUNE_BATCH: Type.Integer({ minimum: 1, maximum: 100_000, default: 5_000 }),
  /** How long after a prune the next one starts. @default 3600000 (an hour) */
  AUDIT_PRUNE_EVERY_MS: Type.Integer({ minimum: 1_000, default: 3_600_000 }),
})
export type OpsSettings = Static<typeof OpsSettings>
