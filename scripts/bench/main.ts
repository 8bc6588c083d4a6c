/**
 * Speed of the bus and of the whole write path, measured on this machine.
 *
 *   bun run bench bus [--events N] [--rounds R] [--json]
 *   bun run bench pipeline [--requests N] [--concurrency C] [--samples S] [--warmup SECONDS] [--bare] [--json]
 *   bun run bench stages [--students N] [--offers N] [--places N] [--concurrency C] [--requests N] [--samples S] [--warmup SECONDS] [--json]
 *   bun run bench live [--users N] [--notifications N] [--concurrency C] [--json]
 *   bun run bench accounts [--tries N] [--samples S] [--json]
 *   bun run bench audit [--events N] [--concurrency C] [--rows N] [--searches N] [--json]
 *
 * `pipeline` runs `bus` in the same run and reports both; `--bare` also runs
 * the same write path without the kit (scripts/bench/bare.ts), durable and
 * volatile, to tell what this machine allows. `stages` assigns students to
 * offers of few places through the gateway (scripts/bench/stages.ts), and
 * runs `pipeline` in the same run (its `--requests`, `--samples`, 256 in
 * flight) to read its commands per second against the pipeline's events per
 * second; there `--concurrency` is the callers assigning at once. `live`
 * opens a notification stream for each of `--users` students through the
 * gateway and makes `--notifications` notifications by the real cascade
 * (scripts/bench/live.ts); there `--concurrency` is the events published at once.
 * `accounts` times `--tries` logins each for an address with an account, one
 * without, and an account without a password yet, and `--samples` refreshes
 * one after the other (scripts/bench/accounts.ts): refresh p50/p99 beside login's.
 * `audit` publishes `--events` events of several types, `--concurrency`
 * unconfirmed at once, and measures the ops worker keeping them all in the
 * audit trail (scripts/bench/audit.ts); then keeps `--rows` audited events
 * and times `--searches` searches by entity id, with the ops API's query and
 * through its HTTP API (scripts/bench/audit-search.ts).
 */
import { parseArgs } from 'node:util'
import { Type, type Static } from '@sinclair/typebox'
import { parseConfig } from '../../core/index.ts'
import { BrokerConfig } from '../broker-config.ts'
import { askedForHelp } from '../cli.ts'
import { benchAccounts } from './accounts.ts'
import { benchAudit } from './audit.ts'
import { benchAuditSearch } from './audit-search.ts'
import { benchBus } from './bus.ts'
import { describeCpu, type CpuReport } from './cpu.ts'
import { benchPipeline } from './pipeline.ts'
import { benchLive } from './live.ts'
import { benchStages } from './stages.ts'

const Config = Type.Composite([BrokerConfig, Type.Object({ POSTGRES_SERVER_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432' }) })])
const USAGE =
  'usage: bun run bench bus|pipeline|stages|live|accounts|audit [--json] [--tries N] [--events N] [--rounds R] [--requests N] [--concurrency C] [--samples S] [--warmup SECONDS] [--bare] [--students N] [--offers N] [--places N] [--users N] [--notifications N] [--rows N] [--searches N]'

/** In flight at once when `--concurrency` is not given: the pipeline's requests, the callers of `stages`, the events `live` and `audit` publish. */
const CONCURRENCY = { pipeline: 256, stages: 50, live: 50, accounts: 1, audit: 256 }

const BENCHES = ['bus', 'pipeline', 'stages', 'live', 'accounts', 'audit'] as const

const OPTIONS = {
  json: { type: 'boolean', default: false },
  events: { type: 'string', default: '10000' },
  rounds: { type: 'string', default: '3' },
  requests: { type: 'string', default: '20000' },
  // Its default depends on the benchmark (CONCURRENCY).
  concurrency: { type: 'string' },
  samples: { type: 'string', default: '300' },
  warmup: { type: 'string', default: '10' },
  bare: { type: 'boolean', default: false },
  students: { type: 'string', default: '1000' },
  offers: { type: 'string', default: '20' },
  places: { type: 'string', default: '40' },
  users: { type: 'string', default: '1000' },
  notifications: { type: 'string', default: '5000' },
  tries: { type: 'string', default: '20' },
  rows: { type: 'string', default: '10000' },
  searches: { type: 'string', default: '50' },
} as const

type Numeric = 'events' | 'rounds' | 'requests' | 'concurrency' | 'samples' | 'warmup' | 'students' | 'offers' | 'places' | 'users' | 'notifications' | 'tries' | 'rows' | 'searches'

/** The numeric options, each checked before anything runs: counts are whole and at least 1; `--warmup` is seconds, 0 or more. */
function numbers(values: Record<Numeric, string>) {
  const read = (name: Numeric, whole: boolean, min: number) => {
    const n = Number(values[name])
    if (values[name].trim() === '' || !Number.isFinite(n) || n < min || (whole && !Number.isInteger(n)))
      throw new Error(`--${name} must be ${whole ? 'a whole number' : 'a number'} of at least ${min}, not ${JSON.stringify(values[name])}`)
    return n
  }
  return {
    events: read('events', true, 1),
    rounds: read('rounds', true, 1),
    requests: read('requests', true, 1),
    concurrency: read('concurrency', true, 1),
    samples: read('samples', true, 1),
    warmup: read('warmup', false, 0),
    students: read('students', true, 1),
    offers: read('offers', true, 1),
    places: read('places', true, 1),
    users: read('users', true, 1),
    notifications: read('notifications', true, 1),
    tries: read('tries', true, 1),
    rows: read('rows', true, 1),
    searches: read('searches', true, 1),
  }
}

/** What to run and how; throws a message naming the option when one is wrong. */
function readArgs(argv: string[]) {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS })
  const what = (positionals[0] ?? 'bus') as (typeof BENCHES)[number]
  if (!BENCHES.includes(what) || positionals.length > 1) throw new Error(`unknown benchmark: ${positionals.join(' ')}`)
  const concurrency = values.concurrency ?? String(CONCURRENCY[what === 'bus' ? 'pipeline' : what])
  return { what, values, n: numbers({ ...values, concurrency }) }
}

async function main(argv: string[]): Promise<number> {
  if (askedForHelp(argv, USAGE)) return 0
  let args: ReturnType<typeof readArgs>
  try {
    args = readArgs(argv)
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const { what, values, n } = args
  const config = parseConfig(Config, process.env)
  if (what === 'stages') return stages(config, values.json, n)
  if (what === 'live') return live(config, values.json, n)
  if (what === 'accounts') return accounts(config, values.json, n)
  if (what === 'audit') return audit(config, values.json, n)
  const bus = await benchBus({ url: config.RABBITMQ_URL, events: n.events, rounds: n.rounds })
  if (what === 'bus') {
    if (values.json) console.log(JSON.stringify(bus))
    else {
      console.log(`bus (core publisher + consumer): ${bus.bus_events_per_s} events/s`)
      console.log(`raw rabbitmq-client:             ${bus.raw_events_per_s} events/s`)
      console.log(`ratio: ${bus.ratio} (target ≥ 0.85)`)
    }
    return 0
  }
  const pipeline = await benchPipeline({
    rabbitUrl: config.RABBITMQ_URL,
    postgresServer: config.POSTGRES_SERVER_URL,
    requests: n.requests,
    concurrency: n.concurrency,
    rttSamples: n.samples,
    warmupSeconds: n.warmup,
    bare: values.bare,
  })
  const { pipeline_events_per_s, rtt_p50_ms, rtt_p99_ms, raw_rpc_p50_ms, raw_rpc_p99_ms, back_to_back, cpu, ...bare } = pipeline
  const result = { pipeline_events_per_s, bus_events_per_s: bus.bus_events_per_s, rtt_p50_ms, rtt_p99_ms, raw_rpc_p50_ms, raw_rpc_p99_ms, ...bare }
  // The JSON keeps to the six figures; with --bare it adds the bare ones and where the CPU went. The
  // back-to-back round trips are printed in the text.
  if (values.json) console.log(JSON.stringify(values.bare ? { ...result, cpu } : result))
  else {
    const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`
    console.log(`pipeline (HTTP → API → worker → event → worker, durable): ${result.pipeline_events_per_s} events/s (target ≈ 5000)`)
    console.log(`bus alone:                                                 ${result.bus_events_per_s} events/s`)
    console.log(`command round trip p50/p99: ${result.rtt_p50_ms} / ${result.rtt_p99_ms} ms`)
    console.log(`bare direct reply-to p50/p99: ${result.raw_rpc_p50_ms} / ${result.raw_rpc_p99_ms} ms (p50 ratio ${ratio(rtt_p50_ms, raw_rpc_p50_ms)}; target: within 3×)`)
    console.log(
      `back to back: command ${back_to_back.rtt_p50_ms} / ${back_to_back.rtt_p99_ms} ms, bare ${back_to_back.raw_rpc_p50_ms} / ${back_to_back.raw_rpc_p99_ms} ms (p50 ratio ${ratio(back_to_back.rtt_p50_ms, back_to_back.raw_rpc_p50_ms)})`,
    )
    if ('bare_durable_events_per_s' in bare) {
      console.log(`the same path bare, durable (no kit):                     ${bare.bare_durable_events_per_s} events/s`)
      console.log(`the same path bare, volatile (no confirms, no database):  ${bare.bare_volatile_events_per_s} events/s`)
    }
    const labels: Record<string, string> = { pipeline: 'pipeline', bare_durable: 'bare, durable', bare_volatile: 'bare, volatile' }
    const reports = Object.entries(cpu).filter(([, report]) => report !== undefined)
    if (reports.length > 0) console.log('CPU per event:')
    for (const [run, report] of reports) console.log(`  ${labels[run]}: ${describeCpu(report!)}`)
  }
  return 0
}

/** `bench accounts`: login medians by kind of address, refresh p50/p99 beside login's, forgotten-password medians. */
async function accounts(config: Static<typeof Config>, json: boolean, n: ReturnType<typeof numbers>): Promise<number> {
  const r = await benchAccounts({ rabbitUrl: config.RABBITMQ_URL, postgresServer: config.POSTGRES_SERVER_URL, tries: n.tries, refreshes: n.samples })
  if (json) console.log(JSON.stringify(r))
  else {
    console.log(`login median, ${n.tries} tries each (auth API and worker, each login from an address of its own):`)
    console.log(`  an address with an account (right password): ${r.login_known_median_ms} ms`)
    console.log(`  an address without an account:                ${r.login_unknown_median_ms} ms`)
    console.log(`  an account without a password yet:            ${r.login_no_password_median_ms} ms`)
    console.log(`  known/unknown: ${r.known_unknown_ratio}× (target: within 2×)`)
    console.log(`login p50/p99:   ${r.login_p50_ms} / ${r.login_p99_ms} ms`)
    console.log(`refresh p50/p99: ${r.refresh_p50_ms} / ${r.refresh_p99_ms} ms (${n.samples} refreshes, one after the other)`)
    console.log(`forgot password median, ${n.tries} tries each: an address with an account ${r.forgot_known_median_ms} ms, without ${r.forgot_unknown_median_ms} ms`)
  }
  return 0
}

/**
 * `bench stages`, and `bench pipeline` in the same run for the figure it is
 * read against: assignments serialise on each offer's row, not on the service,
 * so the target is at least half the pipeline's events per second.
 */
async function stages(config: Static<typeof Config>, json: boolean, n: ReturnType<typeof numbers>): Promise<number> {
  const { pipeline_events_per_s, cpu: pipelineCpu }: { pipeline_events_per_s: number; cpu: Record<string, CpuReport | undefined> } = await benchPipeline({
    rabbitUrl: config.RABBITMQ_URL,
    postgresServer: config.POSTGRES_SERVER_URL,
    requests: n.requests,
    concurrency: CONCURRENCY.pipeline,
    rttSamples: n.samples,
    warmupSeconds: n.warmup,
  })
  const run = await benchStages({
    rabbitUrl: config.RABBITMQ_URL,
    postgresServer: config.POSTGRES_SERVER_URL,
    students: n.students,
    offers: n.offers,
    places: n.places,
    concurrency: n.concurrency,
    warmupSeconds: n.warmup,
  })
  // Three decimals: a run slowed by deadlocks can be well under a hundredth of the pipeline.
  const ratio = Number((run.commands_per_s / pipeline_events_per_s).toFixed(3))
  const result = {
    stages_created: run.stages_created,
    offer_full_refusals: run.offer_full_refusals,
    stages_commands_per_s: run.commands_per_s,
    stages_p50_ms: run.p50_ms,
    stages_p99_ms: run.p99_ms,
    pipeline_events_per_s,
    ratio,
  }
  if (json) console.log(JSON.stringify(result))
  else {
    console.log(`stages (POST /core/api/stages through the gateway, ${n.students} students over ${n.offers} offers of ${n.places} places, ${n.concurrency} callers)`)
    console.log(`stages created:       ${result.stages_created} (the offers allow ${run.expected_created})`)
    console.log(`OFFER_FULL refusals:  ${result.offer_full_refusals} (expected ${run.expected_offer_full})`)
    console.log(`commands/s:           ${result.stages_commands_per_s}`)
    console.log(`latency p50/p99:      ${result.stages_p50_ms} / ${result.stages_p99_ms} ms`)
    const w = run.worker
    console.log(`core worker:          ${w.batches} transactions of ${w.mean_batch} commands on average, ${w.deadlocks} undone as deadlocks, ${w.retried} commands retried later`)
    console.log(`pipeline, same run:   ${pipeline_events_per_s} events/s (${n.requests} requests, ${CONCURRENCY.pipeline} in flight)`)
    console.log(`ratio stages/pipeline: ${ratio} (target ≥ 0.5)`)
    const reports = [
      ['pipeline', pipelineCpu.pipeline],
      ['stages (per command)', run.cpu],
    ] as const
    if (reports.some(([, r]) => r)) console.log('CPU per event:')
    for (const [label, report] of reports) if (report) console.log(`  ${label}: ${describeCpu(report)}`)
  }
  return 0
}

/** `bench live`: every notification delivered once, its latency, and what an open stream costs the comm API and the gateway. */
async function live(config: Static<typeof Config>, json: boolean, n: ReturnType<typeof numbers>): Promise<number> {
  const r = await benchLive({ rabbitUrl: config.RABBITMQ_URL, postgresServer: config.POSTGRES_SERVER_URL, users: n.users, notifications: n.notifications, concurrency: n.concurrency })
  if (json) console.log(JSON.stringify(r))
  else {
    console.log(`live (${r.streams} streams through the gateway, one per student; ${r.notifications} notifications, each of a message an admin sent through the gateway, made by the comm worker in the command's transaction)`)
    console.log(`delivered:   ${r.delivered} of ${r.notifications}`)
    console.log(`duplicates:  ${r.duplicates}`)
    console.log(`latency p50/p99/max: ${r.p50_ms} / ${r.p99_ms} / ${r.max_ms} ms (from the event's timestamp, in the worker's transaction, to the stream's receipt; target p99 < 250)`)
    console.log(`RSS per open stream: comm API ${r.comm_api_kib_per_stream} KiB, gateway ${r.gateway_kib_per_stream} KiB (target < 20 each)`)
  }
  return r.delivered === r.notifications && r.duplicates === 0 ? 0 : 1
}

/**
 * `bench audit`: every event kept once by the ops worker, how fast, in how many transactions; then the
 * search by entity id over the audit trail, with the ops API's query and through HTTP. Fails when an
 * event is not kept, or when the search's plan does not read the GIN index.
 */
async function audit(config: Static<typeof Config>, json: boolean, n: ReturnType<typeof numbers>): Promise<number> {
  const r = await benchAudit({ rabbitUrl: config.RABBITMQ_URL, postgresServer: config.POSTGRES_SERVER_URL, events: n.events, concurrency: n.concurrency })
  const { plan, ...search } = await benchAuditSearch({ rabbitUrl: config.RABBITMQ_URL, postgresServer: config.POSTGRES_SERVER_URL, rows: n.rows, searches: n.searches })
  if (json) console.log(JSON.stringify({ ...r, search }))
  else {
    console.log(`audit (the ops worker keeping ${r.events} events of three types, ${n.concurrency} published at once)`)
    console.log(`kept:          ${r.kept} of ${r.events}`)
    console.log(`events/s:      ${r.events_per_s}`)
    console.log(`transactions:  ${r.transactions}, ${r.mean_batch} events each on average (one insert each)`)
    console.log(`search by entity id over ${search.rows} audited events, ${search.searches} searches by a stage's id, ${search.found_per_search} events found each`)
    console.log(`the ops API's query p50/p99:            ${search.query_p50_ms} / ${search.query_p99_ms} ms (target < 100)`)
    console.log(`GET /ops/api/events?entity_id= p50/p99: ${search.http_p50_ms} / ${search.http_p99_ms} ms (target < 100)`)
    console.log(`plan reads the GIN index of the payloads' ids: ${search.uses_gin_index ? 'yes' : 'NO'}`)
    for (const line of plan.split('\n')) console.log(`  ${line}`)
  }
  return r.kept === r.events && search.uses_gin_index ? 0 : 1
}

process.exit(await main(process.argv.slice(2)))
