import { expect, test } from 'bun:test'

import { closedPort } from '../test/service.ts'

const ROOT = new URL('..', import.meta.url).pathname

async function run(...args: string[]) {
  const p = Bun.spawn(['bun', 'run', ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe', env: { ...process.env, MEDTRACK_NAMESPACE: 'cli-test' } })
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  return { stdout, stderr: stderr.replace(/^\$ .*\n/gm, ''), code }
}

test('every operator tool answers --help (or -h) with its usage on stdout, exit 0, doing nothing else', async () => {
  for (const [tool, flag] of [
    ['dlq', '--help'],
    ['apikey', '-h'],
    ['events', '--help'],
    ['topology', '--help'],
    ['catalogue', '--help'],
    ['bench', '--help'],
    ['migrate', '--help'],
    ['dev', '-h'],
  ] as const) {
    const r = await run(tool, flag)
    expect({ tool, code: r.code, stderr: r.stderr }).toEqual({ tool, code: 0, stderr: '' })
    expect(r.stdout).toStartWith('usage:')
    expect(r.stdout).toContain(`bun run ${tool}`)
  }
})

test('a wrong argument is refused with the usage, exit 2: topology and catalogue too; a bad --count is named', async () => {
  for (const args of [['topology', '--bogus'], ['catalogue', '--bogus'], ['events', 'tail', '--count', 'abc'], ['migrate', 'now'], ['dev', 'now']]) {
    const r = await run(...args)
    expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' })
    expect(r.stderr).toContain('usage:')
  }
  expect((await run('events', 'tail', '--count', 'abc')).stderr).toContain('--count must be a whole number of at least 1, not "abc"')
})

test('the catalogue names the exchange of its namespace, as the gateway does', async () => {
  const r = await run('catalogue')
  expect(r.code).toBe(0)
  expect(r.stdout).toContain('cli-test.medtrack.events')
})

test('scripts/ready.ts, the containers\' health check: exit 0 on 200, exit 1 saying what came back otherwise', async () => {
  let status = 200
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json({ status: status === 200 ? 'ready' : 'unavailable' }, { status }) })
  const check = async (url: string) => {
    const p = Bun.spawn(['bun', 'scripts/ready.ts', url], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
    const [stderr, code] = await Promise.all([new Response(p.stderr).text(), p.exited])
    return { code, stderr }
  }
  try {
    expect(await check(`http://127.0.0.1:${server.port}/ready`)).toEqual({ code: 0, stderr: '' })
    status = 503
    const down = await check(`http://127.0.0.1:${server.port}/ready`)
    expect(down.code).toBe(1)
    expect(down.stderr).toContain('503 {"status":"unavailable"}')
  } finally {
    await server.stop(true)
  }
  expect((await check(`http://127.0.0.1:${await closedPort()}/ready`)).code).toBe(1)
})
