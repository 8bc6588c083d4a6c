import { buildEnvelope, canonicalJson, depthProblem, describe, MedTrackError, problemsOf, uuidV5, type Catalogue, type EventPublisher, type Logger, type PayloadValidator } from '../../../core/index.ts'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { errorBody, isJsonType, unsupportedMediaType } from '../../kit/errors.ts'
import type { KeyLookup } from '../key-store.ts'
import { allows, bearerKey } from '../keys.ts'
import { requestHash, type PublishedEvents } from '../published-events.ts'
import { PublishRequest } from './model.ts'

export interface PublishDeps {
  keys: KeyLookup
  publisher: Pick<EventPublisher<Catalogue>, 'publishEnvelope'>
  validator: PayloadValidator
  log: Logger
  /** Where the events published with an Idempotency-Key are noted, so that a retry is never published twice. */
  published?: PublishedEvents
}

/** What `/events/publish` needs of a request, as plain values. */
export interface ExternalPublish {
  authorization: string | null
  contentType: string | null
  /** Reads the request body as sent, refusing (413) one over what the endpoint takes; called once the key is checked. */
  readBody(): Promise<string>
  /** Becomes the event's correlation id. */
  requestId: string
  /** The same key from the same API key publishes the same event id, so consumers apply a retried event once. */
  idempotencyKey: string | null
}

export interface Answer {
  status: number
  body: unknown
  headers?: Record<string, string>
}

const requestCheck = TypeCompiler.Compile(PublishRequest)

/** The producer an external event's envelope names: the API key it was published with, never what its body says. */
const externalService = (keyName: string) => `external:${keyName}`
const RETRY_AFTER_SECONDS = 5

/**
 * Checks, in this order, the API key (401, before the body is read at all), that the body is sent as JSON (415),
 * its size (413 over 64 KiB), the body (400, 422), the event type
 * against the catalogue (422 at `/event_type`), the key's patterns (403) and the
 * payload (422 at `/payload/...`); then publishes, the envelope's `service` being
 * `external:<key name>` (`service_name` is only logged), and answers 202 once the broker
 * confirmed, or 503 with Retry-After when it did not. Nothing is published on any error.
 */
export async function publishExternalEvent(deps: PublishDeps, req: ExternalPublish): Promise<Answer> {
  const presented = bearerKey(req.authorization)
  const key = presented ? await deps.keys(presented) : null
  if (!key) {
    return {
      status: 401,
      body: errorBody('UNAUTHENTICATED', 'a valid API key is required: Authorization: Bearer <key>'),
      headers: { 'www-authenticate': 'Bearer' },
    }
  }

  if (!isJsonType(req.contentType ?? '')) {
    const refusal = unsupportedMediaType(req.contentType ?? '')
    return { status: refusal.status, body: errorBody(refusal.code, refusal.message, refusal.problems) }
  }

  // Only now, for a known key, is the body read at all.
  const text = await req.readBody()
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return { status: 400, body: errorBody('MALFORMED_JSON', 'the request body is not valid JSON') }
  }
  // Before anything walks it: an extra field nested thousands deep would overflow the stack when the event is written.
  const deep = depthProblem(data)
  if (deep) return { status: 422, body: errorBody('VALIDATION_FAILED', 'the body nests too deeply', [deep]) }
  if (!requestCheck.Check(data)) {
    return { status: 422, body: errorBody('VALIDATION_FAILED', 'invalid body', problemsOf(requestCheck, data)) }
  }
  const { event_type: type, payload, service_name: serviceName } = data
  const definition = deps.validator.definition(type)
  if (!definition) {
    return { status: 422, body: errorBody('VALIDATION_FAILED', `unknown event type '${type}'`, deps.validator.check(type, payload)) }
  }
  if (!allows(key.eventPatterns, type)) {
    deps.log.info('external event refused', { api_key: key.name, event_type: type })
    return { status: 403, body: errorBody('FORBIDDEN', `the API key '${key.name}' may not publish ${type}`) }
  }
  const problems = deps.validator.check(type, payload)
  if (problems.length > 0) {
    return { status: 422, body: errorBody('VALIDATION_FAILED', `invalid payload for ${type}`, problems) }
  }

  // A retry of an event published before is answered as it was, however long ago, and not published again.
  const retried = req.idempotencyKey ? { keyId: key.id, requestHash: requestHash(req.idempotencyKey, { type, payload, serviceName }) } : undefined
  const earlier = retried && (await deps.published?.find(retried.keyId, retried.requestHash))
  if (earlier) return { status: 202, body: { event_id: earlier, event_type: type } }

  const envelope = buildEnvelope({
    type,
    payload,
    version: definition.version,
    // Whatever the body names, the event is the key's: consumers and the audit trail can tell it came from outside.
    service: externalService(key.name),
    correlationId: req.requestId,
    // A retry (the same key, the same event) is the same event id, which consumers apply once; the key
    // sent with another event is another event, not one dropped as a duplicate.
    ...(req.idempotencyKey ? { eventId: uuidV5(JSON.stringify(['gateway', key.id, req.idempotencyKey, canonicalJson({ type, payload, serviceName })])) } : {}),
  })
  try {
    await deps.publisher.publishEnvelope(envelope, { validated: true })
  } catch (err) {
    if (err instanceof MedTrackError && !err.transient) throw err
    deps.log.warn('external event not confirmed', { api_key: key.name, event_type: type, event_id: envelope.event_id, error: describe(err) })
    return {
      status: 503,
      body: errorBody('SERVICE_UNAVAILABLE', 'the event bus did not confirm the event; try again'),
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    }
  }
  if (retried) {
    await deps.published?.remember({ ...retried, eventId: envelope.event_id, eventType: type }).catch((err) =>
      deps.log.warn('external event published but its Idempotency-Key not noted; a retry after consumers forget the event id would apply it again', { event_id: envelope.event_id, error: describe(err) }),
    )
  }
  deps.log.info('external event published', { api_key: key.name, event_type: type, event_id: envelope.event_id, service_name: serviceName, correlation_id: req.requestId })
  return { status: 202, body: { event_id: envelope.event_id, event_type: type } }
}
