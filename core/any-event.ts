import { parseEnvelope, type Envelope, type WireProperties } from './envelope.ts'
import { ValidationError } from './errors.ts'

/**
 * A delivered message read as an event of any type, the catalogue not
 * consulted: its envelope, with what older publishers leave out filled in
 * (`parseEnvelope`). What is kept of it whatever its type or payload (an
 * audit trail, a live feed) reads it so. Throws a permanent error when it is
 * no envelope at all: a body that is not a JSON object, or whose own fields
 * (id, type, producer, time, payload object) are missing or malformed.
 */
export function readAnyEvent(message: { body?: unknown } & WireProperties): Envelope {
  const { envelope, problems } = parseEnvelope(message.body, message)
  if (problems.length > 0) throw new ValidationError('the message is not an event envelope', problems)
  return envelope
}
