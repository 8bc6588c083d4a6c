import { Type, type Static } from '@sinclair/typebox'

/** The auth API's own settings, beside every API's: how long what a login gives lasts, and whose word on a client's address it takes. */
export const AuthApiSettings = Type.Object({
  /** How long an access token lasts, in seconds; a client renews it with its refresh token. @default 900 (15 minutes) */
  ACCESS_TTL: Type.Integer({ minimum: 1, default: 900 }),
  /** How long a refresh token lasts unused, in seconds; each refresh gives a new one for as long again. @default 2592000 (30 days) */
  REFRESH_TTL: Type.Integer({ minimum: 1, default: 30 * 86_400 }),
  /**
   * The addresses the gateway reaches this API from, comma-separated: only their X-Real-IP (the
   * client the gateway saw) is believed; any other caller is counted by its own address.
   * @default '127.0.0.1,::1' (the gateway on this machine)
   */
  GATEWAY_ADDRESSES: Type.String({ default: '127.0.0.1,::1' }),
})
export type AuthApiSettings = Static<typeof AuthApiSettings>
