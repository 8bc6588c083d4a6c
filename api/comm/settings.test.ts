import { describe, expect, test } from 'bun:test'
import { ConfigError, parseConfig } from '../../core/index.ts'
import { apiSettingsSchema } from '../kit/config.ts'
import { CommApiSettings, commSettingsProblems } from './settings.ts'

const settings = (env: Record<string, string>) => parseConfig(CommApiSettings, env)
const S3 = { S3_ENDPOINT: 'http://minio:9000', S3_BUCKET: 'docs', S3_ACCESS_KEY_ID: 'key', S3_SECRET_ACCESS_KEY: 'secret' }

describe("the comm API's settings", () => {
  test('defaults: a 10 MiB limit and ./data/documents, a heartbeat every 15 s; S3 all or nothing; a limit of 0 or above what the server takes is refused', () => {
    expect(settings({})).toEqual({ DOCUMENT_MAX_BYTES: 10_485_760, DOCUMENTS_DIR: './data/documents', S3_REGION: 'us-east-1', STREAM_HEARTBEAT_MS: 15_000 })
    expect(commSettingsProblems(settings({}))).toEqual([])
    expect(commSettingsProblems(settings(S3))).toEqual([])
    expect(commSettingsProblems(settings({ S3_ENDPOINT: S3.S3_ENDPOINT, S3_BUCKET: 'docs' }))).toEqual([
      'S3_ACCESS_KEY_ID: is required when S3_ENDPOINT, S3_BUCKET are set (S3 needs S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY)',
      'S3_SECRET_ACCESS_KEY: is required when S3_ENDPOINT, S3_BUCKET are set (S3 needs S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY)',
    ])
    expect(() => settings({ DOCUMENT_MAX_BYTES: '0' })).toThrow(ConfigError)
    expect(() => settings({ DOCUMENT_MAX_BYTES: String(64 * 1024 * 1024) })).toThrow(ConfigError)
    expect(() => settings({ S3_ENDPOINT: 'minio:9000' })).toThrow(ConfigError)
    // Read with every API's settings, their problems reported together.
    try {
      parseConfig(apiSettingsSchema(CommApiSettings), { DOCUMENT_MAX_BYTES: 'ten', COMMAND_WAIT_MS: '-1' })
      throw new Error('expected a ConfigError')
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.path).sort()).toEqual(['/COMMAND_WAIT_MS', '/DOCUMENT_MAX_BYTES'])
    }
  })

  test('the comm API started with half of the S3 settings exits 1 naming what is missing', async () => {
    const p = Bun.spawn(['bun', 'api/comm/main.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, PORT: '0', S3_ENDPOINT: S3.S3_ENDPOINT },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    expect(code).toBe(1)
    expect(out + err).toContain('S3_BUCKET: is required when S3_ENDPOINT is set')
  })
})
