/**
 * Speed of the bus and of the whole write path, measured on this machine.
 *
 *   bun run bench bus [--events N] [--rounds R] [--json]
 *   bun run bench pipeline [--requests N] [--concurrency C] [--samples S] [--warmup SECONDS] [--bare] [--json]
 *
 * `pipeline` runs `bus` in the same run and reports both; `--bare` also runs
 * the same write path without the kit (scripts/bench/bare.ts), durable and
 * volatile, to tell what this machine allows.
 */
import { parseArgs } from 'node:util'
import { Type } from '@sinclair/typebox'
import { parseConfig } from '../../core/index.ts'
import { BrokerConfig } from '../broker-config.ts'
import { askedForHelp } from '../cli.ts'
import { benchBus } from './bus.ts'
import { describeCpu } from './cpu.ts'
import { benchPipeline } from './pipeline.ts'

const Config = Type.Composite([BrokerConfig, Type.Object({ POSTGRES_SERVER_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432' }) })])
const USAGE = 'usage: bun run bench bus|pipeline [--json] [--events N] [--rounds R] [--requests N] [--concurrency C] [--samples S] [--warmup SECONDS] [--bare]'

const OPTIONS = {
  json: { type: 'boolean', default: false },
  events: { type: 'string', default: '10000' },
  rounds: { type: 'string', default: '3' },
  requests: { type: 'string', default: '20000' },
  concurrency: { type: 'string', default: '256' },
  samples: { type: 'string', default: '300' },
  warmup: { type: 'string', default: '10' },
  bare: { type: 'boolean', default: false },
} as const

/** The numeric options, each checked before anything runs: counts are whole and at least 1; `--warmup` is seconds, 0 or more. */
function numbers(values: Record<'events' | 'rounds' | 'requests' | 'concurrency' | 'samples' | 'warmup', string>) {
  const read = (name: keyof typeof values, whole: boolean, min: number) => {
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
  }
}

/** What to run and how; throws a message naming the option when one is wrong. */
function readArgs(argv: string[]) {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS })
  const what = positionals[0] ?? 'bus'
  if ((what !== 'bus' && what !== 'pipeline') || positionals.length > 1) throw new Error(`unknown benchmark: ${positionals.join(' ')}`)
  return { what, values, n: numbers(values) }
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

process.exit(await main(process.argv.slice(2)))
