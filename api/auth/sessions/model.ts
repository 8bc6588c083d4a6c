import { t } from 'elysia'
import type { OpenAPIV3 } from 'openapi-types'

/** The email as the commands take it: 254 characters at most (RFC 5321). */
export const Login = t.Object({ email: t.String({ minLength: 1, maxLength: 254 }), password: t.String({ minLength: 1 }) })
export const RefreshToken = t.Object({ refresh_token: t.String({ minLength: 1, maxLength: 200 }) })

/** One OpenAPI answer: a JSON body of `schema`. */
export const json = (schema: OpenAPIV3.SchemaObject, description: string): OpenAPIV3.ResponseObject => ({ description, content: { 'application/json': { schema } } })

/** What a login and a refresh answer: both tokens, and the account. */
const Tokens: OpenAPIV3.SchemaObject = {
  type: 'object',
  properties: {
    access_token: { type: 'string', description: 'a JWT for `Authorization: Bearer`, valid `expires_in` seconds' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', description: 'seconds the access token lasts (ACCESS_TTL)' },
    refresh_token: { type: 'string', description: 'opaque; trade it once at /refresh for new tokens, before `refresh_expires_at`' },
    refresh_expires_at: { type: 'string', format: 'date-time' },
    user: { type: 'object', description: 'the account, as /me shows it (a login only)' },
  },
}

/** An answer telling the caller to wait: a JSON error and `Retry-After`. */
export const waitAnswer = (description: string): OpenAPIV3.ResponseObject => ({
  ...json(ErrorAnswer, description),
  headers: { 'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer', minimum: 1 } } },
})

/** Every error answer: a code, a sentence, the fields at fault. */
export const ErrorAnswer: OpenAPIV3.SchemaObject = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, problems: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } },
}

/** The OpenAPI answers of each route, for `/auth/api/docs`. */
export const responses: Record<string, OpenAPIV3.ResponsesObject> = {
  login: {
    200: json(Tokens, 'signed in: a new session'),
    401: json(ErrorAnswer, 'wrong email or password, or an address not verified yet (verify it first with the emailed link): the same answer, and the same time, whether or not the address has an account'),
    422: json(ErrorAnswer, 'a field missing or too long, named in `problems`'),
    429: waitAnswer('too many failed logins for this account or from this address: try again after Retry-After seconds, even with the right password'),
    503: waitAnswer('the attempt could not be counted right now: try again after Retry-After seconds'),
  },
  refresh: {
    200: json(Tokens, 'the session renewed: a new access token and a new refresh token; the one sent is spent'),
    202: json({ type: 'object', properties: { operation_id: { type: 'string' }, status: { type: 'string' }, refresh_token: { type: 'string' } } }, 'the renewal is still being applied: keep the refresh_token given here and refresh with it in a moment'),
    401: json(ErrorAnswer, 'the refresh token is unknown, expired, of an ended session, or was already used (then its session ends): log in again'),
  },
  logout: {
    200: json({ type: 'object', properties: { logged_out: { type: 'boolean' } } }, 'the session of this refresh token (spent or not) ended; its access tokens stop working too'),
    401: json(ErrorAnswer, 'not a refresh token of this service'),
  },
  logoutAll: {
    200: json({ type: 'object', properties: { logged_out: { type: 'boolean' }, sessions_ended: { type: 'integer' } } }, "every session of the caller's account ended, this one included"),
    401: json(ErrorAnswer, 'no valid access token'),
  },
}
