import { Type, type Static } from '@sinclair/typebox'

export const DEV_JWT_SECRET = 'medtrack-development-secret-change-me'

/** Every setting a service API reads from the environment (DESIGN.md §9). */
export const ApiConfig = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/medtrack' }),
  RABBITMQ_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  MEDTRACK_NAMESPACE: Type.String({ default: '' }),
  JWT_SECRET: Type.String({ minLength: 16, default: DEV_JWT_SECRET }),
  COMMAND_WAIT_MS: Type.Integer({ minimum: 0, default: 3_000 }),
  LOG_LEVEL: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], { default: 'info' }),
})
export type ApiConfig = Static<typeof ApiConfig>

/** A production process must not run with the development secret. */
export function productionProblems(config: ApiConfig): string[] {
  return config.NODE_ENV === 'production' && config.JWT_SECRET === DEV_JWT_SECRET ? ['JWT_SECRET: the development secret is refused when NODE_ENV=production'] : []
}
