import { Type, type Static, type TObject } from '@sinclair/typebox'

/** Every setting a service API reads from the environment (docs/operations.md, Settings). */
export const ApiConfig = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  /** Where the API listens; 0 picks a free one. @default the service's port: auth 3001, profile 3002, core 3003, comm 3004, eval 3005 */
  PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  /** Address to listen on: this machine only unless told (containers set 0.0.0.0); the gateway is the public origin. */
  HOST: Type.String({ default: '127.0.0.1' }),
  DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/medtrack' }),
  RABBITMQ_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  MEDTRACK_NAMESPACE: Type.String({ default: '' }),
  /**
   * The key access tokens are signed with, 32 characters or more. Unset: the platform's own, made at
   * random once and kept in the database (`bun run migrate` makes it), shared by every API.
   */
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  COMMAND_WAIT_MS: Type.Integer({ minimum: 0, default: 3_000 }),
  /** How long what the API knows of an account (its token version, role) is reused: a retired token is refused within this time. @default 1000 */
  ACCOUNT_CACHE_MS: Type.Integer({ minimum: 0, default: 1_000 }),
  LOG_LEVEL: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], { default: 'info' }),
})
export type ApiConfig = Static<typeof ApiConfig>

/** A placeholder secret: anything saying `change-me` or `placeholder`, or too short to resist guessing. */
export function isPlaceholderSecret(secret: string): boolean {
  return /change-?me|placeholder/i.test(secret) || secret.length < 32
}

/** No process runs on a placeholder secret, in any environment: unset, the platform makes one of its own. */
export function secretProblems(config: ApiConfig): string[] {
  return config.JWT_SECRET !== undefined && isPlaceholderSecret(config.JWT_SECRET)
    ? ['JWT_SECRET: a placeholder secret (or one under 32 characters) is refused; leave it unset for one made at random and kept in the database']
    : []
}

/** The settings an API reads: ApiConfig's, and those of its service's own when it has some. */
export function apiSettingsSchema(own?: TObject): TObject {
  return own ? Type.Composite([ApiConfig, own]) : ApiConfig
}
