import { Type, type Static } from '@sinclair/typebox'
import { EmailSettings } from '../kit/email-settings.ts'

/** What the auth worker reads from the environment beside the kit's settings: its emails', and where their links point. */
export const AuthSettings = Type.Object({
  ...EmailSettings.properties,
  /** Where the links in emails point (the frontend's origin). */
  PUBLIC_URL: Type.String({ default: 'http://localhost:8080' }),
  /** How often sign-ups never verified are looked for, to be removed once their link has expired, and what is long over forgotten (failed logins, sessions), in ms. @default 60000 */
  ACCOUNT_SWEEP_MS: Type.Integer({ minimum: 1, default: 60_000 }),
})
export type AuthSettings = Static<typeof AuthSettings>
