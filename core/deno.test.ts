import { describe, expect, test } from 'bun:test'
import { testNamespace } from '../test/broker.ts'

const deno = `${import.meta.dir}/../node_modules/.bin/deno`

async function run(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn([deno, ...args], { cwd: `${import.meta.dir}/..`, env: { ...process.env, NO_COLOR: '1', ...env }, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return { stdout, stderr, code }
}

describe('core on Deno', () => {
  test('type-checks under Deno without Bun APIs', async () => {
    const r = await run(['check', 'core/index.ts', 'schemas/events/index.ts'])
    expect(r.stderr).not.toContain('error')
    expect(r.code).toBe(0)
  })

  test('a publish → consume round trip through core against the real broker', async () => {
    const r = await run(['run', '--allow-net', '--allow-env', '--allow-read', '--allow-sys', 'scripts/deno-roundtrip.ts'], { MEDTRACK_NAMESPACE: testNamespace('deno') })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const line = JSON.parse(r.stdout.trim())
    expect(line.runtime).toBe('deno')
    expect(line.ok).toBe(true)
    expect(line.received.startsWith(line.event_id)).toBe(true)
  })
})
