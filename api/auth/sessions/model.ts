import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { LoggedOut, UserView } from '../../../schemas/views/auth.ts'
import { feature, Pending } from '../../kit/openapi.ts'

/** The email as the commands take it: 254 characters at most (RFC 5321). */
export const Login = t.Object({ email: t.String({ minLength: 1, maxLength: 254 }), password: t.String({ minLength: 1 }) })
export const RefreshToken = t.Object({ refresh_token: t.String({ minLength: 1, maxLength: 200 }) })

export const sessions = feature('sessions', 'Signing in and staying signed in: an access token and a refresh token per session, renewed, ended on one device or on all')

const tokenFields = {
  access_token: Type.String({ description: 'a JWT for `Authorization: Bearer`, valid `expires_in` seconds' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds the access token lasts (ACCESS_TTL)' }),
  refresh_token: Type.String({ description: 'opaque; trade it once at /refresh for new tokens, before `refresh_expires_at`' }),
  refresh_expires_at: Type.String({ format: 'date-time' }),
}

/** What a login answers: both tokens, and the account. */
export const SignedIn = Type.Object({ ...tokenFields, user: UserView })
/** What a refresh answers: both tokens, new. */
export const Renewed = Type.Object(tokenFields)
/** A refresh still being applied: its operation, and the refresh token to use next. */
export const RenewalPending = Type.Composite([Pending, Type.Object({ refresh_token: Type.String({ description: 'the refresh token to use next, once the renewal is applied' }) })])

/** The answers of each route, for `/auth/api/docs`. */
export const answers = {
  login: sessions.answers(
    { 200: SignedIn },
    {
      says: { 200: 'signed in: a new session' },
      refuses: {
        401: 'wrong email or password, or an address not verified yet (verify it first with the emailed link): the same answer, and the same time, whether or not the address has an account',
        429: 'too many failed logins for this account or from this address: try again after Retry-After seconds, even with the right password',
        503: 'the attempt could not be counted right now: try again after Retry-After seconds',
      },
    },
  ),
  refresh: sessions.answers(
    { 200: Renewed, 202: RenewalPending },
    {
      says: { 200: 'the session renewed: a new access token and a new refresh token; the one sent is spent', 202: 'the renewal is still being applied: keep the refresh_token given here and refresh with it in a moment' },
      refuses: { 401: 'the refresh token is unknown, expired, of an ended session, or was already used (then its session ends): log in again' },
      located: true,
    },
  ),
  logout: sessions.answers(
    { 200: LoggedOut, 202: LoggedOut },
    { says: { 200: 'the session of this refresh token (spent or not) ended; its access tokens stop working too', 202: 'the session is being ended' }, refuses: { 401: 'not a refresh token of this service' } },
  ),
  logoutAll: sessions.command('auth.end_sessions'),
}
