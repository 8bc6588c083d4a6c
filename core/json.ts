/** JSON helpers every process shares: depth, canonical text, and writing back what was parsed. */
import type { Problem } from './errors.ts'

/** An object key as a JSON Pointer segment (RFC 6901): `~` and `/` escaped. */
export const jsonPointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1')

/** How deep a request body or a message may nest arrays and objects: far beyond any shape of ours. */
export const MAX_JSON_DEPTH = 64

/**
 * Where `value` nests arrays or objects deeper than `max` levels, as a problem
 * at the top-level field that does; undefined when it does not. Walked without
 * recursion, so no depth overflows the stack (a validator that recurses would,
 * and its error would be a 500).
 */
export function depthProblem(value: unknown, max = MAX_JSON_DEPTH): Problem | undefined {
  if (value === null || typeof value !== 'object') return undefined
  // Only arrays and objects are queued, and a path is written only for the top-level fields.
  const pending: [object, number, string][] = [[value, 0, '']]
  while (pending.length > 0) {
    const [v, depth, field] = pending.pop()!
    if (depth >= max) return { path: field || '/', message: `must not nest arrays or objects more than ${max} levels deep` }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i]
        if (item !== null && typeof item === 'object') pending.push([item, depth + 1, field || `/${i}`])
      }
    } else {
      for (const key of Object.keys(v)) {
        const item: unknown = (v as Record<string, unknown>)[key]
        if (item !== null && typeof item === 'object') pending.push([item, depth + 1, field || `/${jsonPointer(key)}`])
      }
    }
  }
  return undefined
}

/** `value` as JSON with every object's keys sorted, so that equal values read alike (to hash them). Recursive: for values of bounded depth. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** Nesting JSON.stringify is left to; deeper values are written without recursion. */
const STRINGIFY_DEPTH = 1_000

/**
 * `value` (parsed JSON) written back as JSON text: JSON.stringify, or, for a
 * value nested too deeply for it (it recurses, and overflows the stack), the
 * same text written without recursion. A message refused for its depth still
 * goes to the dead-letter queue with what it held.
 */
export function jsonText(value: unknown): string {
  // Measured first: JSON.stringify takes seconds to give up on a value thousands deep.
  if (depthProblem(value, STRINGIFY_DEPTH) === undefined) return JSON.stringify(value) ?? 'null'
  const out: string[] = []
  const stack: { items: [string | undefined, unknown][]; next: number; close: string }[] = []
  // Parsed JSON shares nothing; a value met twice (a cycle) is refused, as JSON.stringify does.
  const met = new WeakSet<object>()
  const write = (v: unknown) => {
    if (v !== null && typeof v === 'object') {
      if (met.has(v)) throw new TypeError('a value to write as JSON refers to itself')
      met.add(v)
    }
    if (Array.isArray(v)) {
      out.push('[')
      stack.push({ items: v.map((item) => [undefined, item]), next: 0, close: ']' })
    } else if (v !== null && typeof v === 'object') {
      out.push('{')
      stack.push({ items: Object.entries(v).filter(([, item]) => item !== undefined), next: 0, close: '}' })
    } else out.push(JSON.stringify(v) ?? 'null')
  }
  write(value)
  while (stack.length > 0) {
    const top = stack.at(-1)!
    if (top.next === top.items.length) {
      out.push(top.close)
      stack.pop()
      continue
    }
    if (top.next > 0) out.push(',')
    const [key, item] = top.items[top.next++]!
    if (key !== undefined) out.push(JSON.stringify(key), ':')
    write(item)
  }
  return out.join('')
}
