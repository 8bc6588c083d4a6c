import { trustedProxies } from '../../kit/addresses.ts'
import type { ServiceApi, ServiceApiOptions } from '../../kit/service-api.ts'
import type { AuthApiSettings } from '../settings.ts'
import { login, logout, refresh, type SessionDeps } from './session-life.ts'
import { answers, Login, RefreshToken } from './model.ts'
import { clientAddress } from './throttle.ts'

/**
 * A session's life: `/login` opens it (an access token and a refresh token),
 * `/refresh` renews it (both tokens new, the refresh token sent spent),
 * `/logout` ends it, `/logout-all` ends every session of the account.
 */
export const sessionRoutes = (app: ServiceApi<'auth'>, deps: ServiceApiOptions, settings: AuthApiSettings) => {
  const ttl = { accessTtl: settings.ACCESS_TTL, refreshTtl: settings.REFRESH_TTL }
  const fromGateway = trustedProxies(settings.GATEWAY_ADDRESSES)
  const using = (command: SessionDeps['command']): SessionDeps => ({ db: deps.db, jwtSecret: deps.jwtSecret, ttl, command })
  return app
    .post('/login', ({ body, command, request, server }) => login(using(command), { ...body, address: clientAddress(request, server, fromGateway) }), {
      body: Login,
      answers: answers.login,
      detail: {
        summary: 'Sign in: an access token (ACCESS_TTL, 15 minutes) and a refresh token (REFRESH_TTL, 30 days)',
        description:
          'Five failed logins a minute for one account, or twenty from one address, make the next ones wait (429 with Retry-After), twice as long after each further failure, up to 15 minutes; a right password waits too, and so do attempts made at once: no more than the limit are checked. An address not verified yet cannot log in: follow the link emailed at sign-up first (until then a login answers the 401 of a wrong password).',
      },
    })
    .post('/refresh', ({ body, command, set }) => refresh(using(command), body.refresh_token, set), {
      body: RefreshToken,
      answers: answers.refresh,
      detail: {
        summary: 'Renew a session: its refresh token for a new access token and a new refresh token',
        description:
          'Each refresh token works once. One presented again after it was traded ends its session (someone else may hold a copy): every token of that session stops working. Refresh one request at a time per session.',
      },
    })
    .post('/logout', ({ body, command, set }) => logout(using(command), body.refresh_token, set), {
      body: RefreshToken,
      answers: answers.logout,
      detail: { summary: 'End this session: its refresh token and its access tokens stop working' },
    })
    .post('/logout-all', ({ user, send }) => send('auth.end_sessions', { user_id: user.user_id }), {
      auth: true,
      answers: answers.logoutAll,
      detail: { summary: "End every session of the caller's account, on every device" },
    })
}
