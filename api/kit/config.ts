import { Type, type Static } from '@sinclair/typebox'

export const DEV_JWT_SECRET = 'medtrack-development-secret-change-me'

/** Every setting a service API reads from the environment (DESIGN.md §9). */
export const ApiConfig = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
  /** Address to listen on: this machine only unless told (containers set 0.0.0.0); the gateway is the public origin. */
  HOST: Type.String({ default: '127.0.0.1' }),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/medtrack' }),
  RABBITMQ_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  MEDTRACK_NAMESPACE: Type.String({ default: '' }),
  JWT_SECRET: Type.String({ minLength: 16, default: DEV_JWT_SECRET }),
  COMMAND_WAIT_MS: Type.Integer({ minimum: 0, default: 3_000 }),
  /** How long what the API knows of an account (its token version, role) is reused: a retired token is refused within this time. @default 1000 */
  ACCOUNT_CACHE_MS: Type.Integer({ minimum: 0, default: 1_000 }),
  LOG_LEVEL: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], { default: 'info' }),
})
export type ApiConfig = Static<typeof ApiConfig>

/** A placeholder secret: the development default, anything saying `change-me`, or too short to resist guessing. */
export function isPlaceholderSecret(secret: string): boolean {
  return secret === DEV_JWT_SECRET || /change-?me/i.test(secret) || secret.length < 32
}

/** A production process must not run with a development or placeholder secret. */
export function productionProblems(config: ApiConfig): string[] {
  return config.NODE_ENV === 'production' && isPlaceholderSecret(config.JWT_SECRET)
    ? ['JWT_SECRET: a development or placeholder secret (or one under 32 characters) is refused when NODE_ENV=production']
    : []
}
