import { afterAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { signToken } from '../api/kit/jwt.ts'
import { deleteTopology, dropDatabase, openDatabase } from '../core/index.ts'
import { commandBindings } from '../schemas/commands/index.ts'
import { secrets } from '../schemas/db/platform.ts'
import { childEnvironment, GATEWAY_MAX_FETCHES, PROCESSES } from '../scripts/processes.ts'
import { connect, testNamespace } from './broker.ts'
import { spawnEntry } from './processes.ts'

/**
 * What `docker compose up` and `bun run dev` start with: no secret written in
 * the repository. Without JWT_SECRET, migrate makes one at random and the APIs
 * read it from the database; nothing of the repository signs a token they take.
 */

const ROOT = new URL('..', import.meta.url).pathname
const SERVER = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'
const databaseUrl = `${SERVER}/medtrack_test_secrets_${crypto.randomUUID().slice(0, 8)}`
afterAll(() => dropDatabase(databaseUrl))

/** A setting whose value is a secret, by its name. */
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY/i

/** The files of the repository (as git tracks them, this test's new ones too). */
async function repositoryFiles(): Promise<string[]> {
  const ls = Bun.spawn(['git', 'ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, stdout: 'pipe' })
  return (await new Response(ls.stdout).text()).split('\n').filter((f) => f !== '' && !f.startsWith('node_modules/'))
}

/** `${NAME:-default}`, `${NAME-default}`, `${NAME}`, `$NAME`, as compose reads them with nothing set in the environment. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*)|:?\?[^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, _name, fallback) => fallback ?? '')
}

interface ComposeService {
  environment?: Record<string, string | number | boolean | null> | string[]
  ports?: (string | { host_ip?: string; published?: string | number })[]
  secrets?: unknown
}

const compose = Bun.YAML.parse(await Bun.file(`${ROOT}/compose.yaml`).text()) as { services: Record<string, ComposeService>; secrets?: Record<string, { file?: string; environment?: string }> }

/** A service's environment as `docker compose up` gives it with nothing set on the host. */
function environmentOf(service: ComposeService): Record<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((e) => [e.split('=')[0]!, e.includes('=') ? e.slice(e.indexOf('=') + 1) : ''] as const)
    : Object.entries(service.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)] as const)
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v)]))
}

describe('compose.yaml', () => {
  test('gives no service a secret: JWT_SECRET and every other secret setting resolve to nothing unless the operator sets them', () => {
    const given: string[] = []
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(environmentOf(service))) if (SECRET_NAME.test(key) && value !== '') given.push(`${name}: ${key}=${value}`)
    }
    expect(given).toEqual([])
    // The APIs and migrate are told of JWT_SECRET, so an operator can set one; by default it is empty.
    for (const name of ['migrate', 'auth-api', 'profile-api', 'core-api', 'comm-api']) expect(environmentOf(compose.services[name]!).JWT_SECRET).toBe('')
  })

  test('keeps no secret in a file of the repository', async () => {
    const files = new Set(await repositoryFiles())
    const fromFiles = Object.entries(compose.secrets ?? {}).filter(([, s]) => s.file !== undefined && files.has(s.file.replace(/^\.\//, '')))
    expect(fromFiles).toEqual([])
  })

  test('publishes PostgreSQL, RabbitMQ and Mailpit on 127.0.0.1 only; the gateway is the one public port', () => {
    const published: Record<string, string[]> = {}
    for (const [name, service] of Object.entries(compose.services)) {
      published[name] = (service.ports ?? []).map((p) => (typeof p === 'string' ? p : `${p.host_ip ?? ''}:${p.published}`))
    }
    for (const name of ['postgres', 'rabbitmq', 'mailpit']) {
      expect(published[name]!.length).toBeGreaterThan(0)
      for (const port of published[name]!) expect(port).toStartWith('127.0.0.1:')
    }
    const open = Object.entries(published).flatMap(([name, ports]) => ports.filter((p) => !p.startsWith('127.0.0.1:')).map(() => name))
    expect(open).toEqual(['gateway'])
  })
})

describe('bun run dev', () => {
  test('gives each process its own environment and its port, nothing more (the gateway room for its streams): no JWT_SECRET of its own', async () => {
    const env = { DATABASE_URL: databaseUrl, PATH: '/usr/bin' }
    for (const spec of PROCESSES) {
      const streams = spec.name === 'gateway' ? { BUN_CONFIG_MAX_HTTP_REQUESTS: String(GATEWAY_MAX_FETCHES) } : {}
      expect(childEnvironment(spec, env)).toEqual({ ...env, ...streams, PORT: String(spec.port) })
    }
    for (const file of ['scripts/dev.ts', 'scripts/processes.ts']) expect(await Bun.file(`${ROOT}/${file}`).text()).not.toMatch(/JWT_SECRET\s*[:=]/)
  })
})

describe('with no JWT_SECRET', () => {
  test("migrate makes the platform's secret once; an API started as compose and dev start it takes tokens signed with it, and none signed with a string of the repository", async () => {
    // Empty is unset, whatever the environment running the tests says.
    const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'error', JWT_SECRET: '' }
    for (let run = 0; run < 2; run++) {
      const migrate = spawnEntry('scripts/migrate.ts', env)
      expect(await migrate.exited).toBe(0)
    }
    const db = openDatabase(databaseUrl, { max: 1 })
    const rows = await db.select().from(secrets).where(eq(secrets.name, 'jwt'))
    await db.$client.end()
    // Made once: the second run kept the first one.
    expect(rows).toHaveLength(1)
    const secret = rows[0]!.value
    expect(secret.length).toBeGreaterThanOrEqual(64)

    // Every string of the repository that could pass for a secret (quoted, 16 characters or more, saying so).
    const files = (await repositoryFiles()).filter((f) => /\.(ts|ya?ml|md|json|sh)$|^Dockerfile$|run$/.test(f))
    const texts = await Promise.all(files.map((f) => Bun.file(`${ROOT}/${f}`).text()))
    for (const text of texts) expect(text.includes(secret)).toBe(false)
    const candidates = new Set(texts.flatMap((t) => [...t.matchAll(/['"`]([^'"`\s]{16,200})['"`]/g)].map((m) => m[1]!).filter((c) => /secret|change-?me/i.test(c))))
    expect([...candidates]).toEqual(expect.arrayContaining(['medtrack-test-secret-0123456789abcdef']))

    const namespace = testNamespace('secrets')
    const api = spawnEntry('api/profile/main.ts', { ...env, LOG_LEVEL: 'info', PORT: '0', MEDTRACK_NAMESPACE: namespace })
    try {
      const port = JSON.parse(await api.waitForLine(/"api listening"/, 20_000)).port as number
      const establishments = async (key: string) =>
        (await fetch(`http://127.0.0.1:${port}/profile/api/establishments`, { headers: { authorization: `Bearer ${await signToken(key, { sub: crypto.randomUUID(), role: 'admin' })}` } })).status
      expect(await establishments(secret)).toBe(200)
      const taken = []
      for (const candidate of candidates) if ((await establishments(candidate)) !== 401) taken.push(candidate)
      expect(taken).toEqual([])
    } finally {
      api.proc.kill('SIGTERM')
      await api.exited
      const connection = connect('secrets-test')
      await deleteTopology(connection, { namespace, services: ['profile'], commands: commandBindings(), retryTiers: [] })
      await connection.close()
    }
  }, 40_000)
})
