import type { Envelope as AmqpEnvelope, Publisher } from 'rabbitmq-client'
import { PublishTimeoutError, TransientError, describe } from './errors.ts'

/** Resolves once the broker confirmed `body`; rejects with a transient error after `timeoutMs` or on a broker failure. */
export function sendConfirmed(publisher: Publisher, props: AmqpEnvelope, body: Uint8Array, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PublishTimeoutError(timeoutMs)), timeoutMs)
  })
  const sent = publisher.send(props, body).catch((cause: unknown) => {
    throw new TransientError('PUBLISH_FAILED', `broker refused the message: ${describe(cause)}`, { cause })
  })
  return Promise.race([sent, timeout]).finally(() => clearTimeout(timer))
}
