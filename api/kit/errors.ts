import { DomainError, MedTrackError, type Problem } from '../../core/index.ts'

/** The JSON body of every error answer: a code, a sentence, and the offending fields when there are some. */
export interface ErrorBody {
  error: string
  message: string
  problems?: Problem[]
}

export function errorBody(error: string, message: string, problems?: Problem[]): ErrorBody {
  return problems && problems.length > 0 ? { error, message, problems } : { error, message }
}

/** Elysia's validation errors as field problems: `/email`, `/query/page`, `/params/id`. */
export function validationProblems(where: string, errors: { path: string; message: string; summary?: string }[]): Problem[] {
  const prefix = where === 'body' ? '' : `/${where}`
  const seen = new Set<string>()
  const problems: Problem[] = []
  for (const e of errors) {
    const path = `${prefix}${e.path}` || '/'
    if (seen.has(path)) continue
    seen.add(path)
    problems.push({ path, message: e.message })
  }
  return problems
}

/** Status and body for an error a route threw. */
export function answerFor(err: unknown): { status: number; body: ErrorBody; retryAfter?: number } {
  if (err instanceof DomainError) return { status: err.status, body: errorBody(err.code, err.message, err.problems) }
  if (err instanceof MedTrackError && err.transient) {
    return { status: 503, body: errorBody('SERVICE_UNAVAILABLE', 'the service cannot take this request right now; try again'), retryAfter: 5 }
  }
  return { status: 500, body: errorBody('INTERNAL', 'unexpected error') }
}
