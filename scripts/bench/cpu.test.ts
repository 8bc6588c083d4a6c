import { expect, test } from 'bun:test'
import postgres from 'postgres'
import { describeCpu, startCpu } from './cpu.ts'

/** A real child process that uses `ms` of CPU, prints how much it used by its own count, then idles until killed. */
function burner(ms: number) {
  const code = `while (process.cpuUsage().user < ${ms * 1000}) {} const u = process.cpuUsage(); console.log(String((u.user + u.system) / 1000)); setInterval(() => {}, 1000)`
  return Bun.spawn(['bun', '-e', code], { stdout: 'pipe', stderr: 'ignore' })
}

test('a process of the path is counted by its role, per event, as it counts itself; the ceiling follows from the sum', async () => {
  const child = burner(400)
  // Counted from its start, so that all it used is in the count, as it is in its own.
  const stop = startCpu({ burner: child.pid }, 'medtrack_no_such_database')!
  expect(stop).toBeDefined()
  const { value } = await child.stdout.getReader().read()
  const report = stop(2)
  child.kill()
  const ownMs = Number(new TextDecoder().decode(value))
  expect(Object.keys(report.ms_per_event)).toEqual(['burner', 'rabbitmq', 'postgresql', 'bench', 'other'])
  // Two events: half of it each; /proc counts in hundredths of a second.
  expect(Math.abs(report.ms_per_event.burner! * 2 - ownMs)).toBeLessThanOrEqual(30)
  const path = report.ms_per_event.burner! + report.ms_per_event.rabbitmq! + report.ms_per_event.postgresql!
  expect(report.total_ms_per_event).toBeCloseTo(path, 2)
  expect(report.ceiling_events_per_s).toBe(Math.round((report.cores * 1000) / report.total_ms_per_event))
  expect(report.busy).toBeGreaterThan(0)
  expect(report.busy).toBeLessThanOrEqual(1)
})

test("PostgreSQL's sessions count only when they are with the path's database", async () => {
  const sql = postgres('postgres://postgres@127.0.0.1:5432/postgres', { max: 1, onnotice: () => {} })
  try {
    await sql`select 1`
    const work = () => sql`select count(*) from generate_series(1, 4000000)`
    const theirs = startCpu({}, 'medtrack_no_such_database')!
    const ours = startCpu({}, 'postgres')!
    await work()
    const [other, same] = [theirs(1), ours(1)]
    expect(same.ms_per_event.postgresql!).toBeGreaterThan(100)
    expect(other.ms_per_event.postgresql!).toBeLessThan(same.ms_per_event.postgresql! / 3)
    // What the path did not do is still seen, as the rest of the machine.
    expect(other.ms_per_event.other!).toBeGreaterThan(other.ms_per_event.postgresql!)
  } finally {
    await sql.end()
  }
})

test('the line for people names every part, the sum and the ceiling, or why there is none', () => {
  const report = {
    ms_per_event: { api: 0.1, worker: 0.2, rabbitmq: 0.25, postgresql: 0.15, bench: 0.05, other: 0.01 },
    total_ms_per_event: 0.7,
    busy: 0.95,
    stolen: 0.12,
    ceiling_events_per_s: 2857,
    cores: 2,
  }
  expect(describeCpu(report)).toBe(
    'api 0.100 · worker 0.200 · rabbitmq 0.250 · postgresql 0.150 · bench 0.050 · other 0.010 ms; the path 0.700 ms → at most ≈ 2857 events/s on 2 cores (busy 95%, 12% taken by the host)',
  )
  const { rabbitmq: _, ...seen } = report.ms_per_event
  expect(describeCpu({ ...report, ms_per_event: seen, ceiling_events_per_s: undefined, stolen: 0 })).toBe(
    'api 0.100 · worker 0.200 · postgresql 0.150 · bench 0.050 · other 0.010 ms; the path 0.700 ms → no ceiling: rabbitmq not seen on this machine (busy 95%)',
  )
})
