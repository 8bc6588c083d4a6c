import { describe, expect, test } from 'bun:test'
import { DiagnosticSeverity, Parser } from '@asyncapi/parser'
import type { TObject, TSchema } from '@sinclair/typebox'
import { compileCatalogue } from '../../core/catalogue.ts'
import { asyncApiDocument, catalogue, type EventPayload, type EventType } from './index.ts'

const validator = compileCatalogue(catalogue)

const ID = {
  user: '0b8e6f1c-3f7a-4c2e-9d1a-5b6c7d8e9f01',
  other: '1c9f7a2d-4a8b-4d3f-8e2b-6c7d8e9f0a12',
  student: '2dab8b3e-5b9c-4e4a-9f3c-7d8e9f0a1b23',
  encadrant: '3ebc9c4f-6cad-4f5b-8a4d-8e9f0a1b2c34',
  establishment: '4fcdad5a-7dbe-405c-9b5e-9f0a1b2c3d45',
  offer: '5adebe6b-8ecf-416d-8c6f-0a1b2c3d4e56',
  stage: '6befcf7c-9fd0-427e-9d7a-1b2c3d4e5f67',
  thing: '7cf0d08d-a0e1-438f-8e8b-2c3d4e5f6a78',
}

/** Per event: the required fields the catalogue promises (docs/events.md) and a valid payload carrying every field, optional ones too. */
const EVENTS: { [T in EventType]: { required: string[]; sample: EventPayload<T> } } = {
  'user.created': {
    required: ['user_id', 'email', 'role', 'first_name', 'last_name'],
    sample: { user_id: ID.user, email: 'amina@example.org', role: 'student', first_name: 'Amina', last_name: 'Benali' },
  },
  'user.verified': { required: ['user_id', 'email'], sample: { user_id: ID.user, email: 'amina@example.org' } },
  'user.password_changed': { required: ['user_id'], sample: { user_id: ID.user, token_version: 3 } },
  'user.deleted': { required: ['user_id'], sample: { user_id: ID.user } },
  'student.created': {
    required: ['student_id', 'user_id', 'email'],
    sample: {
      student_id: ID.student,
      user_id: ID.user,
      email: 'amina@example.org',
      cin: 'AB123456',
      phone: '+212600000000',
      first_name: 'Amina',
      last_name: 'Benali',
    },
  },
  'student.updated': { required: ['student_id', 'updated_fields'], sample: { student_id: ID.student, updated_fields: ['phone'] } },
  'student.deleted': { required: ['student_id', 'user_id'], sample: { student_id: ID.student, user_id: ID.user } },
  'encadrant.created': {
    required: ['encadrant_id', 'user_id', 'email'],
    sample: {
      encadrant_id: ID.encadrant,
      user_id: ID.user,
      email: 'dr.haddad@example.org',
      phone: '+212611111111',
      first_name: 'Karim',
      last_name: 'Haddad',
    },
  },
  'encadrant.updated': {
    required: ['encadrant_id', 'updated_fields'],
    sample: { encadrant_id: ID.encadrant, updated_fields: ['first_name', 'last_name'] },
  },
  'establishment.created': {
    required: ['establishment_id', 'name', 'city'],
    sample: { establishment_id: ID.establishment, name: 'CHU Ibn Sina', city: 'Rabat' },
  },
  'offer.created': {
    required: ['offer_id', 'title', 'establishment_id'],
    sample: { offer_id: ID.offer, title: 'Cardiology, 3 months', establishment_id: ID.establishment },
  },
  'offer.updated': {
    required: ['offer_id', 'status', 'updated_fields'],
    sample: { offer_id: ID.offer, status: 'closed', updated_fields: ['status'] },
  },
  'stage.created': {
    required: ['stage_id', 'student_id', 'offer_id', 'start_date'],
    sample: { stage_id: ID.stage, student_id: ID.student, offer_id: ID.offer, start_date: '2026-09-01' },
  },
  'stage.accepted': {
    required: ['stage_id', 'student_id', 'encadrant_id'],
    sample: { stage_id: ID.stage, student_id: ID.student, encadrant_id: ID.encadrant },
  },
  'stage.started': {
    required: ['stage_id', 'actual_start_date'],
    sample: { stage_id: ID.stage, actual_start_date: '2026-09-02T08:30:00.000Z' },
  },
  'stage.completed': {
    required: ['stage_id', 'completion_date'],
    sample: { stage_id: ID.stage, completion_date: '2026-12-01' },
  },
  'stage.cancelled': { required: ['stage_id', 'reason'], sample: { stage_id: ID.stage, reason: 'student withdrew' } },
  'stage.tracking_initialized': {
    required: ['student_id', 'tracking_id'],
    sample: { student_id: ID.student, tracking_id: ID.thing },
  },
  'message.sent': {
    required: ['message_id', 'sender_id', 'receiver_id', 'subject'],
    sample: { message_id: ID.thing, sender_id: ID.user, receiver_id: ID.other, subject: 'Schedule' },
  },
  'notification.created': {
    required: ['notification_id', 'user_id', 'type', 'title'],
    sample: { notification_id: ID.thing, user_id: ID.user, type: 'welcome', title: 'Welcome to MedTrack' },
  },
  'document.uploaded': {
    required: ['document_id', 'student_id', 'filename', 'size'],
    sample: { document_id: ID.thing, student_id: ID.student, filename: 'convention.pdf', size: 48213 },
  },
  'email.sent': {
    required: ['email_id', 'recipient', 'subject'],
    sample: { email_id: ID.thing, recipient: 'amina@example.org', subject: 'Verify your email' },
  },
  'email.failed': {
    required: ['email_id', 'recipient', 'error'],
    sample: { email_id: ID.thing, recipient: 'amina@example.org', error: 'connection refused' },
  },
  'evaluation.created': {
    required: ['evaluation_id', 'stage_id', 'student_id', 'score'],
    sample: { evaluation_id: ID.thing, stage_id: ID.stage, student_id: ID.student, score: 16.5 },
  },
  'evaluation.updated': { required: ['evaluation_id', 'new_score'], sample: { evaluation_id: ID.thing, new_score: 17 } },
  'grade.assigned': {
    required: ['student_id', 'stage_id', 'final_grade'],
    sample: { student_id: ID.student, stage_id: ID.stage, final_grade: 15.75 },
  },
  'dead_letters.replayed': {
    required: ['service', 'ids', 'count', 'actor_id'],
    sample: { service: 'comm', ids: [ID.thing], count: 1, actor_id: ID.user },
  },
  'dead_letters.purged': {
    required: ['service', 'ids', 'count', 'actor_id'],
    sample: { service: 'eval', ids: null, count: 3, actor_id: ID.user },
  },
}

const TYPES = Object.keys(catalogue) as EventType[]

function sorted(values: readonly string[]): string[] {
  return [...values].sort()
}

function paths(type: string, payload: unknown): string[] {
  return [...new Set(validator.check(type, payload).map((p) => p.path))]
}

function without(payload: object, field: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...payload }
  delete copy[field]
  return copy
}

function fieldsWithFormat(type: EventType, format: string): string[] {
  const schema = catalogue[type].payload as TObject
  return Object.entries(schema.properties as Record<string, TSchema>)
    .filter(([, s]) => s.format === format)
    .map(([name]) => name)
}

describe('catalogue', () => {
  test('has the 28 event types of the platform, each with version, producer and description', () => {
    expect(TYPES).toHaveLength(28)
    expect(sorted(TYPES)).toEqual(sorted(Object.keys(EVENTS)))
    for (const type of TYPES) {
      const def = catalogue[type]
      expect(def.version).toMatch(/^\d+\.\d+$/)
      expect(def.producer.length).toBeGreaterThan(0)
      expect(def.description.length).toBeGreaterThan(0)
      expect(def.payload.description?.length).toBeGreaterThan(0)
    }
  })

  test('email events are produced by auth and comm', () => {
    expect(catalogue['email.sent'].producer).toEqual(['auth', 'comm'])
    expect(catalogue['email.failed'].producer).toEqual(['auth', 'comm'])
  })

  test('an unknown type is a problem at /event_type', () => {
    expect(paths('user.renamed', {})).toEqual(['/event_type'])
  })

  test("a name every object has (constructor, __proto__, toString) is no event type: no definition, a problem at /event_type", () => {
    for (const type of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(validator.definition(type)).toBeUndefined()
      expect(validator.has(type)).toBe(false)
      expect(paths(type, {})).toEqual(['/event_type'])
    }
    expect(validator.definition('user.created')).toBe(catalogue['user.created'])
  })
})

for (const type of TYPES) {
  const { required, sample } = EVENTS[type]

  describe(type, () => {
    test('a valid payload passes', () => {
      expect(validator.check(type, sample)).toEqual([])
    })

    test('the schema requires exactly the fields every consumer relies on', () => {
      expect(sorted((catalogue[type].payload as TObject).required ?? [])).toEqual(sorted(required))
    })

    test('only the required fields pass', () => {
      const minimal = Object.fromEntries(required.map((f) => [f, (sample as Record<string, unknown>)[f]]))
      expect(validator.check(type, minimal)).toEqual([])
    })

    test('an extra field passes', () => {
      expect(validator.check(type, { ...sample, added_by_a_newer_producer: { any: 'thing' } })).toEqual([])
    })

    test.each(required)('fails at /payload/<field> without %s', (field) => {
      expect(paths(type, without(sample, field))).toEqual([`/payload/${field}`])
    })

    const uuids = fieldsWithFormat(type, 'uuid')
    test.each(uuids)('a bad uuid in %s fails there', (field) => {
      expect(paths(type, { ...sample, [field]: 'not-a-uuid' })).toEqual([`/payload/${field}`])
    })

    const emails = fieldsWithFormat(type, 'email')
    if (emails.length > 0) {
      test.each(emails)('a bad email in %s fails there', (field) => {
        expect(paths(type, { ...sample, [field]: 'amina.example.org' })).toEqual([`/payload/${field}`])
      })
    }
  })
}

describe('field rules', () => {
  test.each([
    ['evaluation.created', 'score'],
    ['evaluation.updated', 'new_score'],
    ['grade.assigned', 'final_grade'],
  ] as const)('%s: %s is on the 0–20 scale', (type, field) => {
    const sample = EVENTS[type].sample
    expect(paths(type, { ...sample, [field]: 0 })).toEqual([])
    expect(paths(type, { ...sample, [field]: 20 })).toEqual([])
    expect(paths(type, { ...sample, [field]: 21 })).toEqual([`/payload/${field}`])
    expect(paths(type, { ...sample, [field]: -0.5 })).toEqual([`/payload/${field}`])
    expect(paths(type, { ...sample, [field]: '15' })).toEqual([`/payload/${field}`])
  })

  test('role is student, encadrant or admin', () => {
    const sample = EVENTS['user.created'].sample
    for (const role of ['student', 'encadrant', 'admin']) expect(paths('user.created', { ...sample, role })).toEqual([])
    expect(paths('user.created', { ...sample, role: 'doctor' })).toEqual(['/payload/role'])
  })

  test('size is a non-negative integer', () => {
    const sample = EVENTS['document.uploaded'].sample
    expect(paths('document.uploaded', { ...sample, size: 0 })).toEqual([])
    expect(paths('document.uploaded', { ...sample, size: -1 })).toEqual(['/payload/size'])
    expect(paths('document.uploaded', { ...sample, size: 1.5 })).toEqual(['/payload/size'])
  })

  test('updated_fields is an array of strings', () => {
    const sample = EVENTS['student.updated'].sample
    expect(paths('student.updated', { ...sample, updated_fields: [] })).toEqual([])
    expect(paths('student.updated', { ...sample, updated_fields: 'phone' })).toEqual(['/payload/updated_fields'])
    expect(paths('student.updated', { ...sample, updated_fields: ['phone', 3] })).toEqual(['/payload/updated_fields/1'])
  })

  test.each(['2026-09-01', '2026-09-01T08:30:00Z', '2026-09-01T08:30:00.123+01:00', '2026-09-01T08:30', '2026-09-01T08:30:00.123456'])(
    'dates accept the ISO 8601 form %s',
    (date) => {
      const sample = EVENTS['stage.created'].sample
      expect(paths('stage.created', { ...sample, start_date: date })).toEqual([])
    },
  )

  test.each(['01/09/2026', '2026-13-01', '2026-09-01 08:30:00', '2026-09-01T25:00:00Z', 'tomorrow', ''])(
    'dates reject %p',
    (date) => {
      expect(paths('stage.completed', { ...EVENTS['stage.completed'].sample, completion_date: date })).toEqual([
        '/payload/completion_date',
      ])
    },
  )

  test('an email is at most 254 characters, as an address can be', () => {
    const sample = EVENTS['student.created'].sample
    const at = (n: number) => `${'a'.repeat(n - '@example.org'.length)}@example.org`
    expect(paths('student.created', { ...sample, email: at(254) })).toEqual([])
    expect(paths('student.created', { ...sample, email: at(255) })).toEqual(['/payload/email'])
    expect(paths('email.sent', { ...EVENTS['email.sent'].sample, recipient: at(4_000) })).toEqual(['/payload/recipient'])
  })

  test('required strings are not empty', () => {
    expect(paths('user.created', { ...EVENTS['user.created'].sample, first_name: '' })).toEqual(['/payload/first_name'])
    expect(paths('stage.cancelled', { ...EVENTS['stage.cancelled'].sample, reason: '' })).toEqual(['/payload/reason'])
  })

  test("a person's name is one line: a newline, a tab, NUL or a line separator in a first or last name fails at its path", () => {
    for (const bad of ['Bob,\n\nIMPORTANT: log in at http://evil.example', 'Bob\tX', 'Bo\u0000b', 'Bob\u2028X', '   ']) {
      expect(paths('user.created', { ...EVENTS['user.created'].sample, first_name: bad })).toEqual(['/payload/first_name'])
      expect(paths('student.created', { ...EVENTS['student.created'].sample, last_name: bad })).toEqual(['/payload/last_name'])
      expect(paths('encadrant.created', { ...EVENTS['encadrant.created'].sample, first_name: bad })).toEqual(['/payload/first_name'])
    }
    expect(paths('user.created', { ...EVENTS['user.created'].sample, first_name: "Zoë O'Brien-Núñez" })).toEqual([])
  })

  test('a payload that is not an object fails at /payload', () => {
    expect(paths('user.deleted', null)).toEqual(['/payload'])
    expect(paths('user.deleted', 'x')).toEqual(['/payload'])
  })
})

describe('AsyncAPI document', () => {
  const document = asyncApiDocument(catalogue)

  test('is AsyncAPI 3.0.0 that @asyncapi/parser validates without errors or warnings', async () => {
    expect(document.asyncapi).toBe('3.0.0')
    const diagnostics = await new Parser().validate(document as never)
    const serious = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error || d.severity === DiagnosticSeverity.Warning)
    expect(serious.map((d) => `${d.path.join('/')}: ${d.message}`)).toEqual([])
  })

  test('has a channel, a send operation and a message per event type', async () => {
    const { document: parsed, diagnostics } = await new Parser().parse(document as never)
    expect(diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error)).toEqual([])
    if (!parsed) throw new Error('the parser returned no document')
    expect(parsed.info().title()).toBe('MedTrack events')
    expect(parsed.channels().all()).toHaveLength(28)
    expect(parsed.operations().all()).toHaveLength(28)
    for (const type of TYPES) {
      const channel = parsed.channels().get(type)
      expect(channel?.address()).toBe(type)
      expect(channel?.bindings().get('amqp')?.value()).toMatchObject({
        is: 'routingKey',
        exchange: { name: 'medtrack.events', type: 'topic', durable: true },
      })
      const operation = parsed.operations().get(type)
      expect(operation?.action()).toBe('send')
      expect(operation?.channels().all().map((c) => c.address())).toEqual([type])
      expect(operation?.extensions().get('x-producers')?.value()).toEqual([...catalogue[type].producer])
      const message = operation?.messages().all()[0]
      const envelope = message?.payload()
      expect(envelope?.properties()?.event_type?.const()).toBe(type)
      expect(sorted(envelope?.properties()?.payload?.required() ?? [])).toEqual(sorted(EVENTS[type].required))
    }
  })

  test('message payloads are the envelope around the plain JSON Schema of the event payload', () => {
    const components = document.components as { messages: Record<string, any>; schemas: Record<string, unknown> }
    const envelope = components.messages['stage.created'].payload
    expect(envelope.required).toEqual(['event_type', 'version', 'service', 'timestamp', 'payload'])
    expect(Object.keys(envelope.properties)).toEqual([
      'event_id',
      'event_type',
      'version',
      'service',
      'timestamp',
      'correlation_id',
      'causation_id',
      'payload',
    ])
    expect(envelope.properties.payload).toEqual({ $ref: '#/components/schemas/StageCreated' })
    expect(components.schemas.StageCreated).toEqual(JSON.parse(JSON.stringify(catalogue['stage.created'].payload)))
    expect(Object.getOwnPropertySymbols(components.schemas.StageCreated)).toEqual([])
  })

  test('keys are valid AsyncAPI component keys', () => {
    const { channels, operations, components } = document as Record<string, any>
    const keys = [channels, operations, components.messages, components.schemas].flatMap((o) => Object.keys(o))
    for (const key of keys) expect(key).toMatch(/^[a-zA-Z0-9.\-_]+$/)
  })

  test('takes the exchange and the broker from options, never its credentials', () => {
    const doc = asyncApiDocument(catalogue, {
      exchange: 'test-1.medtrack.events',
      serverUrl: 'amqp://medtrack:s3cret@rabbit.internal:5673/medtrack',
    }) as Record<string, any>
    expect(doc.channels['user.created'].bindings.amqp.exchange.name).toBe('test-1.medtrack.events')
    expect(doc.servers.rabbitmq).toMatchObject({ host: 'rabbit.internal:5673', protocol: 'amqp', pathname: '/medtrack' })
    expect(JSON.stringify(doc)).not.toContain('s3cret')
  })
})

// Compile-time checks: `bunx tsc` fails if the payload types drift from the schemas.
const typed: EventPayload<'user.created'> = EVENTS['user.created'].sample
// @ts-expect-error role is a union of three literals
const badRole: EventPayload<'user.created'> = { ...typed, role: 'doctor' }
void badRole
