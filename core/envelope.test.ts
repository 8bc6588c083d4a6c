import { describe, expect, test } from 'bun:test'
import { catalogue } from '../schemas/events/index.ts'
import { assertValid, buildEnvelope, compileCatalogue, envelopeProblems, parseEnvelope, PermanentError, uuidV5, ValidationError } from './index.ts'

const validator = compileCatalogue(catalogue)
const payload = { student_id: crypto.randomUUID(), user_id: crypto.randomUUID(), email: 'ana@example.org' }

describe('envelope', () => {
  test('a built envelope has every field of the wire format and passes validation', () => {
    const e = buildEnvelope({ type: 'student.created', payload, version: '1.0', service: 'profile-service', causationId: 'cmd-1', now: new Date('2026-11-26T10:00:00.000Z') })
    expect(Object.keys(e).sort()).toEqual(['causation_id', 'correlation_id', 'event_id', 'event_type', 'payload', 'service', 'timestamp', 'version'])
    expect(e.timestamp).toBe('2026-11-26T10:00:00.000Z')
    expect(e.correlation_id).toBe(e.event_id)
    expect(e.causation_id).toBe('cmd-1')
    expect(envelopeProblems(validator, e)).toEqual([])
  })

  test('an old-style envelope without event_id takes the AMQP messageId', () => {
    const body = { event_type: 'student.created', payload, service: 'profile-service', timestamp: '2026-11-26T10:00:00Z', version: '1.0' }
    const { envelope, problems } = parseEnvelope(body, { messageId: 'amqp-42' })
    expect(problems).toEqual([])
    expect(envelope.event_id).toBe('amqp-42')
    expect(envelope.correlation_id).toBeNull()
    expect(envelope.causation_id).toBeNull()
  })

  test('without event_id or messageId the id is a UUIDv5 of the bytes: same bytes, same id', () => {
    const bytes = Buffer.from(JSON.stringify({ event_type: 'user.deleted', payload: { user_id: crypto.randomUUID() }, service: 'auth-service', timestamp: '2026-11-26T10:00:00Z', version: '1.0' }))
    const a = parseEnvelope(bytes).envelope.event_id
    const b = parseEnvelope(Buffer.from(bytes)).envelope.event_id
    const other = parseEnvelope(Buffer.from(JSON.stringify({ event_type: 'user.deleted', payload: { user_id: crypto.randomUUID() } }))).envelope.event_id
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a).toBe(b)
    expect(other).not.toBe(a)
  })

  test('a timestamp with no offset, as Python\'s utcnow().isoformat() writes it, is read as UTC; one with an offset is kept; a date alone or nonsense is refused', () => {
    const at = (timestamp: string) => parseEnvelope(Buffer.from(JSON.stringify({ event_type: 'student.created', version: '1.0', service: 'profile-service', timestamp, payload })))
    expect(at('2026-12-01T21:38:36.169812').envelope.timestamp).toBe('2026-12-01T21:38:36.169812Z')
    expect(at('2026-12-01T21:38:36.169812').problems).toEqual([])
    expect(at('2026-12-01 21:38:36').envelope.timestamp).toBe('2026-12-01T21:38:36Z')
    expect(at('2026-12-01T22:38:36+01:00').envelope.timestamp).toBe('2026-12-01T22:38:36+01:00')
    expect(at('2026-12-01T22:38:36+01:00').problems).toEqual([])
    for (const bad of ['2026-12-01', 'yesterday', '2026-13-01T21:38:36']) expect(at(bad).problems.map((p) => p.path)).toEqual(['/timestamp'])
  })

  test('optional payload text the first services send as null is as if absent; empty text is still refused', () => {
    const withNulls = { ...payload, cin: null, phone: null, first_name: null, last_name: null }
    expect(validator.check('student.created', withNulls)).toEqual([])
    expect(validator.check('student.created', { ...payload, phone: '' }).map((p) => p.path)).toEqual(['/payload/phone'])
  })

  test('uuidV5 matches RFC 4122 (the DNS-namespace example)', () => {
    expect(uuidV5('hello', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('9342d47a-1bab-5709-9869-c840b2eac501')
  })

  test('a body that is not JSON, or not an object, is a permanent error', () => {
    expect(() => parseEnvelope(Buffer.from('not json {'))).toThrow(PermanentError)
    expect(() => parseEnvelope(Buffer.from('[1,2]'))).toThrow('not a JSON object')
  })

  test('validation reports every problem with its JSON path, envelope and payload together', () => {
    const { envelope, problems } = parseEnvelope({ event_type: 'student.created', payload: { student_id: 'nope' }, version: '1.0' }, { messageId: 'm1' })
    const paths = envelopeProblems(validator, envelope, problems).map((p) => p.path)
    expect(paths).toEqual(expect.arrayContaining(['/service', '/timestamp', '/payload/student_id', '/payload/user_id', '/payload/email']))
    try {
      assertValid(validator, envelope, problems)
      throw new Error('accepted an invalid event')
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError)
      expect((err as ValidationError).problems.map((p) => p.path)).toContain('/payload/email')
    }
  })

  test('an unknown event type is a problem at /event_type', () => {
    const e = buildEnvelope({ type: 'student.teleported', payload: {}, version: '1.0', service: 'x' })
    expect(envelopeProblems(validator, e)).toEqual([{ path: '/event_type', message: "unknown event type 'student.teleported'" }])
  })
})
