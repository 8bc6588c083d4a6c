import { unprocessable } from '../../core/index.ts'
import { authRuntime } from '../../schemas/db/auth.ts'
import { hashToken } from '../../workers/auth/tokens.ts'
import { userView } from '../../workers/auth/view.ts'
import type { ApiDefinition } from '../kit/start.ts'
import { ChangePassword, Login, Register, SetPassword, UserParams, Verify } from './users/model.ts'
import { assertStrong, checkPassword, hashPassword } from './users/passwords.ts'
import { assertSetPasswordToken, authAccounts, currentUser, getUser, login } from './users/read.ts'

/** Access tokens are short-lived: 15 minutes. */
export const TOKEN_TTL_SECONDS = 900

export const authApi: ApiDefinition = {
  service: 'auth',
  tables: authRuntime,
  accounts: authAccounts,
  routes: (app, { db, jwtSecret }) =>
    app
      .post(
        '/register',
        async ({ body, send }) => {
          assertStrong(body.password)
          // A taken email is the worker's 409 (not checked here: a retried registration must get its first answer).
          const { password, ...rest } = body
          return send('auth.register_user', { ...rest, password_hash: await hashPassword(password) })
        },
        { body: Register },
      )
      .post('/login', ({ body }) => login(db, jwtSecret, TOKEN_TTL_SECONDS, body.email, body.password), { body: Login })
      .post('/verify', ({ body, send }) => send('auth.verify_email', { token_hash: hashToken(body.token) }), { body: Verify })
      .post(
        '/password',
        async ({ body, user, send }) => {
          const account = await currentUser(db, user)
          if (!(await checkPassword(body.current_password, account.passwordHash))) {
            throw unprocessable('wrong current password', [{ path: '/current_password', message: 'is wrong' }])
          }
          assertStrong(body.new_password, '/new_password')
          return send('auth.change_password', { user_id: account.id, password_hash: await hashPassword(body.new_password) })
        },
        { auth: true, body: ChangePassword },
      )
      .post(
        '/password/set',
        async ({ body, send }) => {
          assertStrong(body.password)
          // The link's token first: nobody without one makes this API hash a password.
          const tokenHash = hashToken(body.token)
          await assertSetPasswordToken(db, tokenHash)
          return send('auth.set_password', { token_hash: tokenHash, password_hash: await hashPassword(body.password) })
        },
        { body: SetPassword },
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
      ),
}
