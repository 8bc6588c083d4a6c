import { unprocessable } from '../../../core/index.ts'

/** A weak password is refused with the field named: at least 8 characters, with a letter and a digit. */
export function assertStrong(password: string, path = '/password'): void {
  if (password.length < 8 || !/[A-Za-z]/.test(password) || !/\d/.test(password)) {
    throw unprocessable('weak password', [{ path, message: 'needs at least 8 characters, with a letter and a digit' }])
  }
}

export const hashPassword = (password: string) => Bun.password.hash(password, { algorithm: 'argon2id' })

export const checkPassword = (password: string, hash: string | null) => (hash ? Bun.password.verify(password, hash) : Promise.resolve(false))
