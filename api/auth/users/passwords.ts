import { TransientError, unprocessable } from '../../../core/index.ts'

/** A weak password is refused with the field named: at least 8 characters, with a letter and a digit. */
export function assertStrong(password: string, path = '/password'): void {
  if (password.length < 8 || !/[A-Za-z]/.test(password) || !/\d/.test(password)) {
    throw unprocessable('weak password', [{ path, message: 'needs at least 8 characters, with a letter and a digit' }])
  }
}

/** Runs costly work a few at a time; what cannot even wait is refused. */
export interface WorkGate {
  /** Runs `work` once fewer than `atOnce` run, in arrival order; rejects with a TransientError (503) when `queued` already wait. */
  run<T>(work: () => Promise<T>): Promise<T>
  /** Work running now, and waiting. */
  readonly running: number
  readonly waiting: number
  /** Work started since the gate was made. */
  readonly started: number
}

export function createWorkGate(o: { atOnce: number; queued: number }): WorkGate {
  let running = 0
  let started = 0
  const waiting: (() => void)[] = []
  const next = () => {
    const go = waiting.shift()
    if (go) go()
    else running--
  }
  return {
    async run(work) {
      if (running >= o.atOnce) {
        if (waiting.length >= o.queued) throw new TransientError('PASSWORDS_BUSY', 'too many passwords are being checked right now; try again')
        // The slot passes straight from the work that ends to the next that waits.
        await new Promise<void>((resolve) => waiting.push(resolve))
      } else running++
      started++
      try {
        return await work()
      } finally {
        next()
      }
    },
    get running() {
      return running
    },
    get waiting() {
      return waiting.length
    },
    get started() {
      return started
    },
  }
}

/**
 * The argon2id computations of this API (64 MiB each): two at a time, as many
 * as this machine has cores; up to 64 more wait their turn, the rest are a 503
 * with Retry-After. Memory stays bounded however many requests arrive at once.
 */
export const passwordWork = createWorkGate({ atOnce: 2, queued: 64 })

export const hashPassword = (password: string) => passwordWork.run(() => Bun.password.hash(password, { algorithm: 'argon2id' }))

/** A hash of nothing anyone knows, made once: what a password is checked against when there is none to check. */
let nothing: Promise<string> | undefined
const hashOfNothing = () => (nothing ??= passwordWork.run(() => Bun.password.hash(crypto.randomUUID(), { algorithm: 'argon2id' })))

/**
 * Whether the password is the hash's. Without a hash (no such account, or one
 * without a password yet) it is checked against a hash of nothing, and false:
 * the answer takes as long either way, and says nothing of who has an account.
 */
export async function checkPassword(password: string, hash: string | null): Promise<boolean> {
  const against = hash ?? (await hashOfNothing())
  const right = await passwordWork.run(() => Bun.password.verify(password, against))
  return hash !== null && right
}
