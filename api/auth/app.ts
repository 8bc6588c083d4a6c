import { unprocessable } from '../../core/index.ts'
import { authRuntime } from '../../schemas/db/auth.ts'
import { hashToken, RESET_PASSWORD, SET_PASSWORD } from '../../workers/auth/tokens.ts'
import { userView, UserView } from '../../schemas/views/auth.ts'
import type { ApiOf, RoutesOf } from '../kit/api-type.ts'
import type { SendCommand } from '../kit/service-api.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { sessionRoutes } from './sessions/routes.ts'
import { AuthApiSettings } from './settings.ts'
import { accounts, ChangePassword, ForgotPassword, LINK_REFUSED, Register, ResetAsked, ResetPassword, SetPassword, UserParams, Verify } from './users/model.ts'
import { assertStrong, checkPassword, hashPassword } from './users/passwords.ts'
import { assertMailedToken, authAccounts, currentUser, getUser } from './users/read.ts'

/** What `/password/forgot` answers, whether or not the address has an account. */
const RESET_ASKED: typeof ResetAsked.static = { status: 'accepted', message: 'if an account has this address, an email with a link to choose a new password is on its way' }

export const authApi = {
  service: 'auth',
  tables: authRuntime,
  accounts: authAccounts,
  settings: AuthApiSettings,
  routes: (app, deps, settings) => {
    const { db } = deps
    /** A password chosen through a mailed link. The link's token first: nobody without one makes this API hash a password. */
    const passwordFromLink = async (body: { token: string; password: string }, purpose: typeof SET_PASSWORD | typeof RESET_PASSWORD, send: SendCommand) => {
      assertStrong(body.password)
      const tokenHash = hashToken(body.token)
      await assertMailedToken(db, tokenHash, purpose)
      return send(purpose === SET_PASSWORD ? 'auth.set_password' : 'auth.reset_password', { token_hash: tokenHash, password_hash: await hashPassword(body.password) })
    }
    sessionRoutes(app, deps, settings)
    return app
      .post(
        '/register',
        async ({ body, send }) => {
          assertStrong(body.password)
          // A taken address gets the same answer from the worker (not checked here: a retried registration must get its first answer).
          const { password, ...rest } = body
          return send('auth.register_user', { ...rest, password_hash: await hashPassword(password) })
        },
        {
          body: Register,
          answers: accounts.command('auth.register_user', { 422: 'a field invalid; a weak password at /password' }),
          detail: { summary: 'Sign up (201 with the account, the same whether or not the address already has one: its owner is mailed instead)' },
        },
      )
      .post('/verify', ({ body, send }) => send('auth.verify_email', { token_hash: hashToken(body.token) }), {
        body: Verify,
        answers: accounts.command('auth.verify_email', { 422: 'the token (/token) is unknown, expired or already used' }),
        detail: { summary: 'Verify the address with the token of the emailed link: the account, verified' },
      })
      .post(
        '/password',
        async ({ body, user, send }) => {
          const account = await currentUser(db, user)
          if (!(await checkPassword(body.current_password, account.passwordHash))) {
            throw unprocessable('wrong current password', [{ path: '/current_password', message: 'is wrong' }])
          }
          assertStrong(body.new_password, '/new_password')
          return send('auth.change_password', { user_id: account.id, password_hash: await hashPassword(body.new_password), ...(user.sid ? { session_id: user.sid } : {}) })
        },
        {
          auth: true,
          body: ChangePassword,
          answers: accounts.command('auth.change_password', { 422: 'the current password (/current_password) wrong, or the new one (/new_password) weak' }),
          detail: { summary: 'Change the password: every access token stops working and every other session ends; this session refreshes on' },
        },
      )
      .post(
        '/password/set',
        ({ body, send }) => passwordFromLink(body, SET_PASSWORD, send),
        {
          body: SetPassword,
          answers: accounts.command('auth.set_password', LINK_REFUSED),
          detail: { summary: 'Choose the first password of an account an admin made, with the mailed link’s token' },
        },
      )
      .post(
        '/password/forgot',
        // Answered once the broker has the command, not once the worker applied it: its time is the same whether or not the address has an account.
        async ({ body, enqueue, set }) => {
          await enqueue('auth.request_password_reset', { email: body.email })
          set.status = 202
          return RESET_ASKED
        },
        {
          body: ForgotPassword,
          answers: accounts.answers({ 202: ResetAsked }, { says: { 202: 'asked: the same answer whether or not the address has an account' } }),
          detail: {
            summary: 'Ask for a link to choose a new password (202, the same answer whether or not the address has an account)',
            description: 'An account with this address is mailed a link to /reset-password?token=…, valid 1 hour, working once; asked again within a minute, no second email.',
          },
        },
      )
      .post(
        '/password/reset',
        ({ body, send }) => passwordFromLink(body, RESET_PASSWORD, send),
        {
          body: ResetPassword,
          answers: accounts.command('auth.reset_password', LINK_REFUSED),
          detail: {
            summary: "Choose a new password with the mailed link's token: 200 with the account; every session and access token ends (log in again)",
            description: 'A token unknown, expired or already used is a 422 at /token; a weak password a 422 at /password.',
          },
        },
      )
      .get('/me', async ({ user }) => userView(await currentUser(db, user)), { auth: true, answers: accounts.read(UserView), detail: { summary: "The caller's account" } })
      .get('/users/:id', ({ user, params }) => getUser(db, user, params.id), {
        auth: true,
        params: UserParams,
        answers: accounts.read(UserView, { 403: 'another account than the caller’s own, asked by someone other than an admin' }),
        detail: { summary: 'An account: the caller’s own, or any for an admin' },
      })
      .delete(
        '/users/:id',
        async ({ user, params, send }) => {
          const { id } = await getUser(db, user, params.id)
          return send('auth.delete_user', { user_id: id })
        },
        {
          auth: true,
          params: UserParams,
          answers: accounts.command('auth.delete_user', { 403: 'another account than the caller’s own, deleted by someone other than an admin', 409: 'the last admin account' }),
          detail: { summary: 'Delete an account: the caller’s own, or any for an admin (never the last admin)' },
        },
      )
  },
} satisfies ApiDefinition<AuthApiSettings, 'auth'>

/** Every route of the auth API, for a typed client. */
export type AuthApi = ApiOf<RoutesOf<typeof sessionRoutes> & RoutesOf<typeof authApi.routes>>
