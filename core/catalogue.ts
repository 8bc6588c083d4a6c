import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import './formats.ts'
import type { Problem } from './errors.ts'

/** One event type: the payload schema at its version and the services allowed to produce it. */
export interface EventDefinition<P extends TSchema = TSchema> {
  version: string
  producer: readonly string[]
  description: string
  payload: P
}

/** Event type → definition. `schemas/events` exports the one MedTrack uses. */
export type Catalogue = Readonly<Record<string, EventDefinition>>

export interface PayloadValidator {
  /** Problems of `payload` against the schema of `type`; empty when valid. Unknown types are a problem at `/event_type`. */
  check(type: string, payload: unknown): Problem[]
  has(type: string): boolean
  /** The definition of `type`, an own entry of the catalogue only: `constructor` or `__proto__` is no event type. */
  definition(type: string): EventDefinition | undefined
  catalogue: Catalogue
}

/** Compiles every payload schema once; checking is then a plain function call. */
export function compileCatalogue(catalogue: Catalogue): PayloadValidator {
  const checks = new Map<string, TypeCheck<TSchema>>()
  for (const [type, def] of Object.entries(catalogue)) checks.set(type, TypeCompiler.Compile(def.payload))
  return {
    catalogue,
    has: (type) => checks.has(type),
    definition: (type) => (Object.hasOwn(catalogue, type) ? catalogue[type] : undefined),
    check(type, payload) {
      const check = checks.get(type)
      if (!check) return [{ path: '/event_type', message: `unknown event type '${type}'` }]
      if (check.Check(payload)) return []
      return problemsOf(check, payload, '/payload')
    },
  }
}

/** Every error of a compiled check, as JSON paths under `prefix`. */
export function problemsOf(check: TypeCheck<TSchema>, value: unknown, prefix = ''): Problem[] {
  const problems: Problem[] = []
  for (const e of check.Errors(value)) problems.push({ path: `${prefix}${e.path}` || '/', message: e.message })
  return dedupe(problems)
}

/** The first problem at each path: a missing field is not also reported as "expected string". */
function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>()
  return problems.filter((p) => !seen.has(p.path) && seen.add(p.path))
}
