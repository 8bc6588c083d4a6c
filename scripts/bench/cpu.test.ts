import { expect, test } from 'bun:test'
import { describeCpu, startCpu } from './cpu.ts'

/** A real child process that keeps one core busy for `ms`, then idles until killed. */
function burner(ms: number) {
  return Bun.spawn(['bun', '-e', `const until = performance.now() + ${ms}; while (performance.now() < until) {} console.log('done'); setInterval(() => {}, 1000)`], { stdout: 'pipe', stderr: 'ignore' })
}

test('a process of the path is counted by its role, per event, and the ceiling follows from the sum', async () => {
  const child = burner(600)
  const stop = startCpu({ burner: child.pid })!
  expect(stop).toBeDefined()
  await child.stdout.getReader().read()
  const report = stop(2)
  child.kill()
  const parts = Object.keys(report.ms_per_event)
  expect(parts).toEqual(['burner', 'rabbitmq', 'postgresql', 'bench', 'other'])
  // Two events: half of the CPU it used each (some of its 600 ms is Bun starting, counted too).
  expect(report.ms_per_event.burner!).toBeGreaterThan(150)
  expect(report.ms_per_event.burner!).toBeLessThan(600)
  const path = report.ms_per_event.burner! + report.ms_per_event.rabbitmq! + report.ms_per_event.postgresql!
  expect(report.total_ms_per_event).toBeCloseTo(path, 2)
  expect(report.ceiling_events_per_s).toBe(Math.round((report.cores * 1000) / report.total_ms_per_event))
  expect(report.busy).toBeGreaterThan(0)
  expect(report.busy).toBeLessThanOrEqual(1)
})

test('the line for people names every part, the sum and the ceiling', () => {
  const line = describeCpu({
    ms_per_event: { api: 0.1, worker: 0.2, rabbitmq: 0.25, postgresql: 0.15, bench: 0.05, other: 0.01 },
    total_ms_per_event: 0.7,
    busy: 0.95,
    stolen: 0.12,
    ceiling_events_per_s: 2857,
    cores: 2,
  })
  expect(line).toBe('api 0.100 · worker 0.200 · rabbitmq 0.250 · postgresql 0.150 · bench 0.050 · other 0.010 ms; the path 0.700 ms → at most ≈ 2857 events/s on 2 cores (busy 95%, 12% taken by the host)')
})
