import type { Static, TObject } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { MedTrackError, type Problem } from './errors.ts'

/** Every problem of a configuration, reported together. */
export class ConfigError extends MedTrackError {
  override name = 'ConfigError'
  readonly problems: Problem[]
  constructor(problems: Problem[]) {
    super('CONFIG_INVALID', `invalid configuration:\n${problems.map((p) => `  ${p.path.slice(1)}: ${p.message}`).join('\n')}`, 'permanent')
    this.problems = problems
  }
}

/**
 * Parses `env` (e.g. `process.env`) against a TypeBox object of settings:
 * applies the schema's defaults, converts numbers and booleans from strings,
 * and throws one ConfigError listing every missing or invalid setting. Only
 * entry files call this; the result is passed down as a plain object.
 */
export function parseConfig<T extends TObject>(schema: T, env: Record<string, string | undefined>): Static<T> {
  const known: Record<string, unknown> = {}
  for (const key of Object.keys(schema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') known[key] = value
  }
  const value = Value.Convert(schema, Value.Default(schema, known))
  const problems: Problem[] = [...Value.Errors(schema, value)].map((e) => ({
    path: e.path,
    message: e.value === undefined ? "is required" : e.message,
  }))
  if (problems.length > 0) throw new ConfigError(problems)
  return value as Static<T>
}
