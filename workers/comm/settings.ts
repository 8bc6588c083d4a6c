import { Type, type Static } from '@sinclair/typebox'
import { EmailSettings } from '../kit/email-settings.ts'

/** What the comm worker reads from the environment beside the kit's settings: how it mails the important notifications. */
export const CommSettings = Type.Object({ ...EmailSettings.properties })
export type CommSettings = Static<typeof CommSettings>
