import { FormatRegistry } from '@sinclair/typebox'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const DATE = /^\d{4}-\d{2}-\d{2}$/
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

/**
 * The string formats the catalogue uses, for every TypeBox check in the
 * process. Set, not added: a plugin that registered its own (the OpenAPI one
 * builds a validator per check) must not make an API accept or refuse
 * otherwise than the catalogue, nor slowly; call again after loading one.
 */
export function registerFormats(): void {
  FormatRegistry.Set('uuid', (v) => UUID.test(v))
  FormatRegistry.Set('email', (v) => EMAIL.test(v))
  // A day the calendar has: 2027-02-30 is not one (Date.parse would take it for March 2).
  FormatRegistry.Set('date', (v) => DATE.test(v) && !Number.isNaN(Date.parse(v)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v))
  FormatRegistry.Set('date-time', (v) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)))
}

registerFormats()
