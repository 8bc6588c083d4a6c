import { treaty } from '@elysiajs/eden'
import type { AuthApi } from '../auth/app.ts'
import type { CommApi } from '../comm/app.ts'
import type { CoreApi } from '../core/app.ts'
import type { EvalApi } from '../eval/app.ts'
import type { OpsApi } from '../ops/app.ts'
import type { ProfileApi } from '../profile/app.ts'
import type { ApiOf } from '../kit/api-type.ts'
import type { ErrorBody } from '../kit/errors.ts'
import type { Gateway } from './app.ts'

/** The statuses MedTrack answers an error with (docs/api.md), each with its JSON error body (500: a command its worker set aside). */
type ErrorAnswers = { [Status in 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 503]: ErrorBody }

/**
 * A route's answers as the APIs give them: its own on success, any error as
 * the error body. (Elysia types the kit's error handler's body as a 200 answer
 * of every route, and a failed validation as its own shape; the handler
 * answers both with an error status and the error body.)
 */
type Answers<Response> = {
  [Status in keyof Response as Status extends keyof ErrorAnswers ? never : [Exclude<Response[Status], ErrorBody>] extends [never] ? never : Status]: Exclude<Response[Status], ErrorBody>
} & ErrorAnswers

/** A page's number and size may be given as numbers: the URL holds them as the digits the API reads. */
type Paging<Query> = { [Name in keyof Query]: Name extends 'page' | 'per_page' ? Query[Name] | number : Query[Name] }

/** Every route of `Routes`, a tree of path segments down to methods, with its query and its answers as the APIs take and give them. */
type Answered<Routes> = {
  [Key in keyof Routes]: Routes[Key] extends { response: infer Response; query: infer Query }
    ? Omit<Routes[Key], 'response' | 'query'> & { response: Answers<Response>; query: Paging<Query> }
    : Answered<Routes[Key]>
}

/** The gateway's own routes: what it forwards (`/S/api/*`, `/ops`) is the services' routes. */
type GatewayRoutes = Pick<Gateway['~Routes'], 'health' | 'ready' | 'events'>

/**
 * Every route a frontend reaches through the gateway, for Eden's treaty:
 * `treaty<MedTrackApi>(gatewayUrl)`, its paths, bodies, queries, params and
 * answers type-checked. Types only: importing it brings in no server code.
 */
export type MedTrackApi = ApiOf<
  Answered<AuthApi['~Routes'] & ProfileApi['~Routes'] & CoreApi['~Routes'] & CommApi['~Routes'] & EvalApi['~Routes'] & OpsApi['~Routes'] & GatewayRoutes>
>

/**
 * The typed client of the gateway at `baseUrl`, signed in with `token` when
 * given. Dates in answers stay strings, as their types say (Eden would make
 * Date objects of them).
 */
export const medtrackClient = (baseUrl: string, { token }: { token?: string } = {}) =>
  treaty<MedTrackApi>(baseUrl, { parseDate: false, headers: token ? { authorization: `Bearer ${token}` } : {} })
