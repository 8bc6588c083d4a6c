import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../core/index.ts'
import { ApiConfig, DEV_JWT_SECRET, productionProblems } from './config.ts'

const config = (env: Record<string, string>) => parseConfig(ApiConfig, env)

describe('an API in production', () => {
  test('refuses the development secret, a placeholder, or a short one; accepts a real one; development accepts the default', () => {
    const refused = ['JWT_SECRET: a development or placeholder secret (or one under 32 characters) is refused when NODE_ENV=production']
    expect(productionProblems(config({ NODE_ENV: 'production' }))).toEqual(refused)
    expect(productionProblems(config({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET }))).toEqual(refused)
    expect(productionProblems(config({ NODE_ENV: 'production', JWT_SECRET: 'compose-development-secret-change-me' }))).toEqual(refused)
    expect(productionProblems(config({ NODE_ENV: 'production', JWT_SECRET: 'short-but-16-chars' }))).toEqual(refused)
    expect(productionProblems(config({ NODE_ENV: 'production', JWT_SECRET: 'k9Vq2xLr7TzP4mWn8YbC1dFh6JsG3aQe' }))).toEqual([])
    expect(productionProblems(config({}))).toEqual([])
  })

  test('a process started with NODE_ENV=production and the default secret exits 1 naming JWT_SECRET', async () => {
    const p = Bun.spawn(['bun', 'api/profile/main.ts'], { cwd: new URL('../..', import.meta.url).pathname, env: { ...process.env, NODE_ENV: 'production', JWT_SECRET: '', PORT: '0' }, stdout: 'pipe', stderr: 'pipe' })
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    expect(code).toBe(1)
    expect(out + err).toContain('JWT_SECRET')
  })
})
