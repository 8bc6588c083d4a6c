import { Type } from '@sinclair/typebox'
import { parseConfig } from '../core/index.ts'

/** The settings every command-line tool needs to reach the bus. */
export const BrokerConfig = Type.Object({
  RABBITMQ_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  MEDTRACK_NAMESPACE: Type.String({ default: '' }),
})

export function brokerConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(BrokerConfig, env)
}
