/**
 * What a login and a refresh cost, the auth API and worker real child
 * processes in a namespace and a database of their own: `tries` logins of each
 * kind, taken in turn (an address with an account and its right password, an
 * address without an account, an account without a password yet), each from
 * a client address of its own so that no limit of failed logins holds one
 * up; then `refreshes` refreshes one after the other, each with the refresh
 * token the last one gave; then `tries` forgotten passwords of each kind (an
 * address with an account, one without), in turn. Medians tell whether a
 * login or a forgotten password says, by its time, who has an account; the
 * refresh's p50/p99 stand beside the login's.
 */
import { eq } from 'drizzle-orm'
import { Connection } from 'rabbitmq-client'
import { deleteTopology, dropDatabase, migrateDatabase, openDatabase } from '../../core/index.ts'
import { commandBindings } from '../../schemas/commands/index.ts'
import { users } from '../../schemas/db/auth.ts'
import { spawnEntry, type Child } from '../../test/processes.ts'
import { MIGRATIONS } from '../migrate.ts'
import { percentile } from './load.ts'

export interface AccountsOptions {
  rabbitUrl: string
  /** PostgreSQL server URL without a database; a database of its own is created and dropped. */
  postgresServer: string
  /** Logins of each kind. */
  tries: number
  refreshes: number
}

export interface AccountsResult {
  login_known_median_ms: number
  login_unknown_median_ms: number
  login_no_password_median_ms: number
  /** The slower of the known and unknown medians over the faster: 1 when a login's time says nothing. */
  known_unknown_ratio: number
  login_p50_ms: number
  login_p99_ms: number
  refresh_p50_ms: number
  refresh_p99_ms: number
  /** `/password/forgot` for an address with an account, and one without: the same answer, in the same time. */
  forgot_known_median_ms: number
  forgot_unknown_median_ms: number
}

const round = (x: number) => Number(x.toFixed(2))
const median = (xs: number[]) => percentile(xs, 50)
const PASSWORD = 'bench password 42'

export async function benchAccounts(o: AccountsOptions): Promise<AccountsResult> {
  const namespace = `bench-${crypto.randomUUID().slice(0, 8)}`
  const databaseUrl = `${o.postgresServer}/medtrack_${namespace.replace('-', '_')}`
  await migrateDatabase(databaseUrl, MIGRATIONS)
  const jwtSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
  const env = { DATABASE_URL: databaseUrl, RABBITMQ_URL: o.rabbitUrl, MEDTRACK_NAMESPACE: namespace, LOG_LEVEL: 'warn', PORT: '0', HOST: '127.0.0.1', JWT_SECRET: jwtSecret }
  const children: Child[] = []
  const db = openDatabase(databaseUrl, { max: 1 })
  try {
    const api = spawnEntry('api/auth/main.ts', { ...env, LOG_LEVEL: 'info' })
    const worker = spawnEntry('workers/auth/main.ts', { ...env, LOG_LEVEL: 'info', SMTP_URL: 'smtp://127.0.0.1:1' })
    children.push(api, worker)
    const [listening] = await Promise.all([api.waitForLine(/"api listening"/, 20_000), worker.waitForLine(/"worker started"/, 20_000)])
    const base = `http://127.0.0.1:${JSON.parse(listening).port}/auth/api`
    let client = 0
    /** POSTs as a client of its own address; the time to the whole answer. */
    const post = async (path: string, body: unknown) => {
      client++
      const address = `10.${(client >> 16) & 255}.${(client >> 8) & 255}.${client & 255}`
      const t = performance.now()
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-real-ip': address }, body: JSON.stringify(body) })
      return { status: res.status, body: (await res.json()) as any, ms: performance.now() - t }
    }
    const expect = (what: string, got: { status: number; body: unknown }, status: number) => {
      if (got.status !== status) throw new Error(`${what} answered ${got.status} (not ${status}): ${JSON.stringify(got.body)}`)
    }

    const known = `known-${namespace}@bench.example.org`
    expect('POST /register', await post('/register', { email: known, password: PASSWORD, role: 'student', first_name: 'Bench', last_name: 'Known' }), 201)
    // Its owner followed the verification link (the bench sends no email): an unverified address does not log in.
    await db.update(users).set({ verifiedAt: new Date() }).where(eq(users.email, known))
    // Accounts an admin's profile made, whose owner has not chosen a password yet: one per try, so no account's count of failures fills.
    const unset = Array.from({ length: o.tries }, (_, i) => ({ id: crypto.randomUUID(), email: `unset-${i}-${namespace}@bench.example.org`, role: 'student', firstName: 'Bench', lastName: 'Unset' }))
    await db.insert(users).values(unset)

    // One unmeasured login of each kind first: the first hash of nothing is made then.
    await post('/login', { email: known, password: PASSWORD })
    await post('/login', { email: `warm-${namespace}@bench.example.org`, password: PASSWORD })
    const times = { known: [] as number[], unknown: [] as number[], unset: [] as number[] }
    for (let i = 0; i < o.tries; i++) {
      const k = await post('/login', { email: known, password: PASSWORD })
      expect('a login with the right password', k, 200)
      times.known.push(k.ms)
      const u = await post('/login', { email: `nobody-${i}-${namespace}@bench.example.org`, password: PASSWORD })
      expect('a login for an address without an account', u, 401)
      times.unknown.push(u.ms)
      const n = await post('/login', { email: unset[i]!.email, password: PASSWORD })
      expect('a login for an account without a password', n, 401)
      times.unset.push(n.ms)
    }

    let token = (await post('/login', { email: known, password: PASSWORD })).body.refresh_token as string
    const refreshes: number[] = []
    for (let i = 0; i < o.refreshes; i++) {
      const r = await post('/refresh', { refresh_token: token })
      expect('POST /refresh', r, 200)
      refreshes.push(r.ms)
      token = r.body.refresh_token
    }
    // Forgotten passwords, in turn: for an account (those without a password, one each, so each is mailed) and for nobody.
    const forgot = { known: [] as number[], unknown: [] as number[] }
    for (let i = 0; i < o.tries; i++) {
      const k = await post('/password/forgot', { email: unset[i]!.email })
      expect('/password/forgot for an address with an account', k, 202)
      forgot.known.push(k.ms)
      const u = await post('/password/forgot', { email: `nobody-forgot-${i}-${namespace}@bench.example.org` })
      expect('/password/forgot for an address without an account', u, 202)
      forgot.unknown.push(u.ms)
    }
    const [a, b] = [median(times.known), median(times.unknown)]
    return {
      login_known_median_ms: round(a),
      login_unknown_median_ms: round(b),
      login_no_password_median_ms: round(median(times.unset)),
      known_unknown_ratio: round(Math.max(a, b) / Math.min(a, b)),
      login_p50_ms: round(percentile(times.known, 50)),
      login_p99_ms: round(percentile(times.known, 99)),
      refresh_p50_ms: round(percentile(refreshes, 50)),
      refresh_p99_ms: round(percentile(refreshes, 99)),
      forgot_known_median_ms: round(median(forgot.known)),
      forgot_unknown_median_ms: round(median(forgot.unknown)),
    }
  } finally {
    for (const c of children) c.proc.kill('SIGTERM')
    await Promise.all(children.map((c) => c.exited))
    await db.$client.end({ timeout: 5 })
    const admin = new Connection(o.rabbitUrl)
    await deleteTopology(admin, { namespace, services: ['auth'], commands: commandBindings() })
    await admin.close()
    await dropDatabase(databaseUrl)
  }
}
