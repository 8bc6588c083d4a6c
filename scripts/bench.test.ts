import { expect, test } from 'bun:test'
import postgres from 'postgres'
import type { CpuReport } from './bench/cpu.ts'

/** Broker queues and databases the bench makes for itself are named after `bench-`. */
async function leftovers() {
  const sql = postgres('postgres://postgres@127.0.0.1:5432/postgres', { max: 1, onnotice: () => {} })
  const databases = (await sql`select datname from pg_database where datname like 'medtrack_bench_%'`).map((r) => r.datname as string)
  await sql.end()
  const proc = Bun.spawn(['rabbitmqctl', '-q', 'list_queues', 'name'], { stdout: 'pipe', stderr: 'ignore' })
  const queues = (await new Response(proc.stdout).text()).split('\n').filter((q) => q.startsWith('bench-'))
  return { databases, queues }
}

/** Runs a short `bench pipeline --json` and returns the one object it printed. */
async function bench(...args: string[]) {
  const proc = Bun.spawn(['bun', 'run', 'bench', 'pipeline', '--json', '--requests', '300', '--samples', '20', '--events', '500', '--rounds', '1', '--warmup', '0', ...args], { stdout: 'pipe', stderr: 'pipe' })
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' })
  const lines = stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  return JSON.parse(lines[0]!) as Record<string, number> & { cpu?: Record<string, CpuReport> }
}

const FIGURES = ['pipeline_events_per_s', 'bus_events_per_s', 'rtt_p50_ms', 'rtt_p99_ms', 'raw_rpc_p50_ms', 'raw_rpc_p99_ms']

test('bun run bench pipeline --json prints one object with exactly the six figures', async () => {
  const figures = await bench()
  expect(Object.keys(figures)).toEqual(FIGURES)
  for (const key of FIGURES) expect(figures[key]).toBeGreaterThan(0)
}, 120_000)

test('with --bare it adds the bare durable and volatile figures and where the CPU of each run went, and leaves no database or queue behind', async () => {
  const before = await leftovers()
  // Enough requests for each process's CPU to span many of /proc's 10 ms ticks.
  const { cpu, ...figures } = await bench('--bare', '--requests', '1500')
  const keys = [...FIGURES, 'bare_durable_events_per_s', 'bare_volatile_events_per_s']
  expect(Object.keys(figures)).toEqual(keys)
  for (const key of keys) expect(figures[key]).toBeGreaterThan(0)
  expect(figures.rtt_p50_ms!).toBeLessThanOrEqual(figures.rtt_p99_ms!)
  expect(Object.keys(cpu!)).toEqual(['pipeline', 'bare_durable', 'bare_volatile'])
  for (const report of Object.values(cpu!)) {
    expect(Object.keys(report.ms_per_event)).toEqual(['api', 'worker', 'second worker', 'rabbitmq', 'postgresql', 'bench', 'other'])
    // Every process of the path worked for its events: the API, both workers and the broker.
    for (const part of ['api', 'worker', 'second worker', 'rabbitmq'] as const) expect(report.ms_per_event[part]).toBeGreaterThan(0)
    expect(report.ceiling_events_per_s).toBe(Math.round((report.cores * 1000) / report.total_ms_per_event))
  }
  // The durable runs write to PostgreSQL; the volatile one has no database, so costs it less.
  expect(cpu!.pipeline!.ms_per_event.postgresql).toBeGreaterThan(0)
  expect(cpu!.bare_durable!.ms_per_event.postgresql).toBeGreaterThan(cpu!.bare_volatile!.ms_per_event.postgresql!)
  expect(await leftovers()).toEqual(before)
}, 120_000)

test('bun run bench stages --json: exactly the stages the offers allow and an OFFER_FULL for every other student, beside the pipeline of the same run, and nothing left behind', async () => {
  const before = await leftovers()
  const args = ['--students', '30', '--offers', '3', '--places', '8', '--concurrency', '10', '--requests', '300', '--samples', '20', '--warmup', '0']
  const proc = Bun.spawn(['bun', 'run', 'bench', 'stages', '--json', ...args], { stdout: 'pipe', stderr: 'pipe' })
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' })
  const lines = stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  const figures = JSON.parse(lines[0]!) as Record<string, number>
  expect(Object.keys(figures)).toEqual(['stages_created', 'offer_full_refusals', 'stages_commands_per_s', 'stages_p50_ms', 'stages_p99_ms', 'pipeline_events_per_s', 'ratio'])
  // 10 students for each offer of 8 places.
  expect({ created: figures.stages_created, full: figures.offer_full_refusals }).toEqual({ created: 24, full: 6 })
  for (const key of ['stages_commands_per_s', 'stages_p50_ms', 'pipeline_events_per_s']) expect(figures[key]).toBeGreaterThan(0)
  // The one figure read against the other, whatever it is (a tiny run can be far below the target).
  expect(figures.ratio).toBe(Number((figures.stages_commands_per_s! / figures.pipeline_events_per_s!).toFixed(3)))
  expect(figures.stages_p50_ms!).toBeLessThanOrEqual(figures.stages_p99_ms!)
  expect(await leftovers()).toEqual(before)
}, 120_000)

test('bun run bench live --json: every notification delivered to its stream once, its latency and what a stream costs, and nothing left behind', async () => {
  const before = await leftovers()
  const proc = Bun.spawn(['bun', 'run', 'bench', 'live', '--json', '--users', '20', '--notifications', '60', '--concurrency', '10'], { stdout: 'pipe', stderr: 'pipe' })
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' })
  const lines = stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  const figures = JSON.parse(lines[0]!) as Record<string, number>
  expect(Object.keys(figures)).toEqual(['streams', 'notifications', 'delivered', 'duplicates', 'p50_ms', 'p99_ms', 'max_ms', 'comm_api_kib_per_stream', 'gateway_kib_per_stream'])
  expect({ streams: figures.streams, notifications: figures.notifications, delivered: figures.delivered, duplicates: figures.duplicates }).toEqual({ streams: 20, notifications: 60, delivered: 60, duplicates: 0 })
  expect(figures.p50_ms!).toBeGreaterThanOrEqual(0)
  expect(figures.p50_ms!).toBeLessThanOrEqual(figures.p99_ms!)
  expect(figures.p99_ms!).toBeLessThanOrEqual(figures.max_ms!)
  expect(await leftovers()).toEqual(before)
}, 120_000)

test('bun run bench accounts --json: login medians by kind of address, refresh p50/p99 beside login\'s, forgotten-password medians, and nothing left behind', async () => {
  const before = await leftovers()
  const proc = Bun.spawn(['bun', 'run', 'bench', 'accounts', '--json', '--tries', '3', '--samples', '10'], { stdout: 'pipe', stderr: 'pipe' })
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' })
  const lines = stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  const figures = JSON.parse(lines[0]!) as Record<string, number>
  expect(Object.keys(figures)).toEqual([
    'login_known_median_ms',
    'login_unknown_median_ms',
    'login_no_password_median_ms',
    'known_unknown_ratio',
    'login_p50_ms',
    'login_p99_ms',
    'refresh_p50_ms',
    'refresh_p99_ms',
    'forgot_known_median_ms',
    'forgot_unknown_median_ms',
  ])
  for (const value of Object.values(figures)) expect(value).toBeGreaterThan(0)
  expect(figures.known_unknown_ratio).toBeGreaterThanOrEqual(1)
  expect(figures.refresh_p50_ms!).toBeLessThanOrEqual(figures.refresh_p99_ms!)
  expect(await leftovers()).toEqual(before)
}, 120_000)

test('bun run bench audit --json: every event kept once, in fewer transactions than events; each search by a stage id finds its events through a plan reading the GIN index; nothing left behind', async () => {
  const before = await leftovers()
  const proc = Bun.spawn(['bun', 'run', 'bench', 'audit', '--json', '--events', '300', '--concurrency', '50', '--searches', '5'], { stdout: 'pipe', stderr: 'pipe' })
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' })
  const lines = stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  const { search, ...figures } = JSON.parse(lines[0]!) as Record<string, number> & { search: Record<string, number | boolean> }
  expect(Object.keys(figures)).toEqual(['events', 'kept', 'events_per_s', 'transactions', 'mean_batch'])
  expect(Object.keys(search)).toEqual(['rows', 'searches', 'found_per_search', 'query_p50_ms', 'query_p99_ms', 'http_p50_ms', 'http_p99_ms', 'uses_gin_index'])
  // A stage's internship is 8 events, of which its id is in 6 (not the student's creation, nor the email).
  expect(search).toMatchObject({ rows: 10_000, searches: 5, found_per_search: 6, uses_gin_index: true })
  expect(search.query_p50_ms as number).toBeLessThanOrEqual(search.query_p99_ms as number)
  expect(search.http_p50_ms as number).toBeGreaterThan(0)
  expect({ events: figures.events, kept: figures.kept }).toEqual({ events: 300, kept: 300 })
  expect(figures.transactions!).toBeLessThan(300)
  expect(figures.events_per_s!).toBeGreaterThan(0)
  expect(await leftovers()).toEqual(before)
}, 120_000)

test('a wrong option is refused before anything runs: exit 2, the option named, the usage shown, nothing left behind', async () => {
  const before = await leftovers()
  for (const [args, named] of [
    [['--warmup', 'soon'], '--warmup'],
    [['--requests', '0'], '--requests'],
    [['--samples', '2.5'], '--samples'],
    [['--frob'], '--frob'],
    [['stages', '--places', '0'], '--places'],
    [['stages', '--students', 'many'], '--students'],
    [['stages', '--concurrency', '1.5'], '--concurrency'],
    [['live', '--users', '0'], '--users'],
    [['live', '--notifications', 'lots'], '--notifications'],
    [['accounts', '--tries', '0'], '--tries'],
    [['audit', '--events', '0'], '--events'],
    [['audit', '--rows', '0'], '--rows'],
    [['audit', '--searches', 'few'], '--searches'],
  ] as const) {
    const proc = Bun.spawn(['bun', 'run', 'bench', ...(args[0] === 'stages' || args[0] === 'live' || args[0] === 'accounts' || args[0] === 'audit' ? args : ['pipeline', ...args])], { stdout: 'pipe', stderr: 'pipe' })
    const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' })
    expect(stderr).toContain(named)
    expect(stderr).toContain('usage: bun run bench')
  }
  expect(await leftovers()).toEqual(before)
}, 60_000)
