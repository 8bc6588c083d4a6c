import { describe, expect, test } from 'bun:test'
import { ConfigError, parseConfig } from '../../core/index.ts'
import { ApiConfig, secretProblems } from './config.ts'

const config = (env: Record<string, string>) => parseConfig(ApiConfig, env)

describe("an API's JWT secret", () => {
  test('unset is the platform\'s own (none here); a placeholder is refused in every environment, development too; a real one is taken', () => {
    const refused = ['JWT_SECRET: a placeholder secret (or one under 32 characters) is refused; leave it unset for one made at random and kept in the database']
    expect(config({}).JWT_SECRET).toBeUndefined()
    expect(config({ JWT_SECRET: '' }).JWT_SECRET).toBeUndefined()
    expect(secretProblems(config({}))).toEqual([])
    for (const NODE_ENV of ['development', 'production']) {
      expect(secretProblems(config({ NODE_ENV, JWT_SECRET: 'medtrack-development-secret-change-me' }))).toEqual(refused)
      expect(secretProblems(config({ NODE_ENV, JWT_SECRET: 'compose-development-secret-change-me' }))).toEqual(refused)
      expect(secretProblems(config({ NODE_ENV, JWT_SECRET: 'a-placeholder-for-the-real-secret-value' }))).toEqual(refused)
      expect(secretProblems(config({ NODE_ENV, JWT_SECRET: 'k9Vq2xLr7TzP4mWn8YbC1dFh6JsG3aQe' }))).toEqual([])
    }
    expect(() => config({ JWT_SECRET: 'short-but-16-chars' })).toThrow(ConfigError)
  })

  test('a process started with a placeholder secret exits 1 naming JWT_SECRET, whatever NODE_ENV says', async () => {
    for (const NODE_ENV of ['development', 'production']) {
      const p = Bun.spawn(['bun', 'api/profile/main.ts'], {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { ...process.env, NODE_ENV, JWT_SECRET: 'medtrack-development-secret-change-me', PORT: '0' },
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
      expect(code).toBe(1)
      expect(out + err).toContain('JWT_SECRET')
    }
  })
})
