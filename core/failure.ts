import { describe, type ErrorClass, classify } from './errors.ts'

/** Headers a failed message carries into its retry tier or dead-letter queue (docs/events.md, Queues and bindings). */
export const HEADER = {
  error: 'x-medtrack-error',
  errorClass: 'x-medtrack-error-class',
  attempts: 'x-medtrack-attempts',
  failedAt: 'x-medtrack-failed-at',
  originalQueue: 'x-medtrack-original-queue',
} as const

export type FailureRoute =
  | { to: 'retry'; delayMs: number; attempts: number; errorClass: ErrorClass; error: string }
  | { to: 'dead'; attempts: number; errorClass: ErrorClass; error: string }

/**
 * Where a failed message goes: a transient failure to the next retry tier,
 * a permanent one, or one that has used every tier, to the dead-letter queue.
 * `failedBefore` is how many attempts had already failed before this one.
 */
export function routeFailure(err: unknown, failedBefore: number, tiers: readonly number[]): FailureRoute {
  const attempts = failedBefore + 1
  const errorClass = classify(err)
  const error = describe(err)
  if (errorClass === 'permanent') return { to: 'dead', attempts, errorClass, error }
  const delayMs = tiers[failedBefore]
  if (delayMs === undefined) return { to: 'dead', attempts, errorClass, error: `gave up after ${attempts} attempts: ${error}` }
  return { to: 'retry', delayMs, attempts, errorClass, error }
}

/** The number of failed attempts recorded on a message. */
export function attemptsOf(headers: Record<string, unknown> | undefined): number {
  const n = Number(headers?.[HEADER.attempts] ?? 0)
  return Number.isInteger(n) && n >= 0 ? n : 0
}
