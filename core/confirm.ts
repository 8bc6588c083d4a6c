import type { Envelope as AmqpEnvelope, Publisher } from 'rabbitmq-client'
import { PublishTimeoutError, TransientError, describe } from './errors.ts'
import { withTimeout } from './timeout.ts'

/** Resolves once the broker confirmed `body`; rejects with a transient error after `timeoutMs` or on a broker failure. */
export function sendConfirmed(publisher: Publisher, props: AmqpEnvelope, body: Uint8Array, timeoutMs: number): Promise<void> {
  const sent = publisher.send(props, body).catch((cause: unknown) => {
    throw new TransientError('PUBLISH_FAILED', `broker refused the message: ${describe(cause)}`, { cause })
  })
  return withTimeout(sent, timeoutMs, () => new PublishTimeoutError(timeoutMs))
}
