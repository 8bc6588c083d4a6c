import { Type, type Static } from '@sinclair/typebox'

/** What the core worker reads from the environment beside the kit's settings. */
export const CoreSettings = Type.Object({
  /** How often accepted stages whose start date has come are started. @default 60000 */
  STAGE_SWEEP_MS: Type.Integer({ minimum: 10, default: 60_000 }),
})
export type CoreSettings = Static<typeof CoreSettings>
