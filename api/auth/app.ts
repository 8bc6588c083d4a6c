import { unprocessable } from '../../core/index.ts'
import type { CommandType } from '../../schemas/commands/index.ts'
import { authRuntime } from '../../schemas/db/auth.ts'
import { hashToken, RESET_PASSWORD, SET_PASSWORD } from '../../workers/auth/tokens.ts'
import { userView } from '../../workers/auth/view.ts'
import type { ApiOf, RoutesOf } from '../kit/api-type.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { ErrorAnswer, json } from './sessions/model.ts'
import { sessionRoutes } from './sessions/routes.ts'
import { AuthApiSettings } from './settings.ts'
import { ChangePassword, ForgotPassword, Register, ResetPassword, SetPassword, UserParams, Verify } from './users/model.ts'
import { assertStrong, checkPassword, hashPassword } from './users/passwords.ts'
import { assertMailedToken, authAccounts, currentUser, getUser } from './users/read.ts'

/** How a route sends a command and answers with its outcome. */
type Send = (type: CommandType, payload: Record<string, unknown>) => Promise<unknown>

/** What `/password/forgot` answers, whether or not the address has an account. */
const RESET_ASKED = { status: 'accepted', message: 'if an account has this address, an email with a link to choose a new password is on its way' }

export const authApi = {
  service: 'auth',
  tables: authRuntime,
  accounts: authAccounts,
  settings: AuthApiSettings,
  routes: (app, deps, settings) => {
    const { db } = deps
    /** A password chosen through a mailed link. The link's token first: nobody without one makes this API hash a password. */
    const passwordFromLink = async (body: { token: string; password: string }, purpose: typeof SET_PASSWORD | typeof RESET_PASSWORD, send: Send) => {
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
        { body: Register, detail: { summary: 'Sign up (201 with the account, the same whether or not the address already has one: its owner is mailed instead)' } },
      )
      .post('/verify', ({ body, send }) => send('auth.verify_email', { token_hash: hashToken(body.token) }), { body: Verify })
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
          detail: { summary: 'Change the password: every access token stops working and every other session ends; this session refreshes on' },
        },
      )
      .post(
        '/password/set',
        ({ body, send }) => passwordFromLink(body, SET_PASSWORD, send),
        { body: SetPassword },
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
          detail: {
            summary: 'Ask for a link to choose a new password (202, the same answer whether or not the address has an account)',
            description: 'An account with this address is mailed a link to /reset-password?token=…, valid 1 hour, working once; asked again within a minute, no second email.',
            responses: { 202: json({ type: 'object', properties: { status: { type: 'string' }, message: { type: 'string' } } }, 'asked') },
          },
        },
      )
      .post(
        '/password/reset',
        ({ body, send }) => passwordFromLink(body, RESET_PASSWORD, send),
        {
          body: ResetPassword,
          detail: {
            summary: "Choose a new password with the mailed link's token: 200 with the account; every session and access token ends (log in again)",
            description: 'A token unknown, expired or already used is a 422 at /token; a weak password a 422 at /password.',
            responses: {
              200: json({ type: 'object', description: 'the account, as /me shows it' }, 'the new password is set; log in with it'),
              422: json(ErrorAnswer, 'the token (/token) or the password (/password) refused'),
            },
          },
        },
      )
      .get('/me', async ({ user }) => userView(await currentUser(db, user)), { auth: true })
      .get('/users/:id', ({ user, params }) => getUser(db, user, params.id), { auth: true, params: UserParams })
      .delete(
        '/users/:id',
        async ({ user, params, send }) => {
          const { id } = await getUser(db, user, params.id)
          return send('auth.delete_user', { user_id: id })
        },
        { auth: true, params: UserParams },
      )
  },
} satisfies ApiDefinition<AuthApiSettings, 'auth'>

/** Every route of the auth API, for a typed client. */
export type AuthApi = ApiOf<RoutesOf<typeof sessionRoutes> & RoutesOf<typeof authApi.routes>>
