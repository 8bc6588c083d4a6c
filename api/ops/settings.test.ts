import { describe, expect, test } from 'bun:test'
import { ConfigError, DEFAULT_RETRY_TIERS, parseConfig } from '../../core/index.ts'
import { OpsApiSettings, retryTiersOf, workerUrlsOf, type OpsApiSettings as Settings } from './settings.ts'

const settings = (env: Record<string, string>) => parseConfig(OpsApiSettings, env) as Settings

describe("the ops API's settings", () => {
  test('each worker on its own port of this machine unless told, a sample every 5 s, a second for a worker to answer, the default retry tiers', () => {
    const s = settings({})
    expect(workerUrlsOf(s)).toEqual({
      auth: 'http://127.0.0.1:3101',
      profile: 'http://127.0.0.1:3102',
      core: 'http://127.0.0.1:3103',
      comm: 'http://127.0.0.1:3104',
      eval: 'http://127.0.0.1:3105',
      ops: 'http://127.0.0.1:3106',
    })
    expect({ every: s.OPS_SAMPLE_MS, timeout: s.WORKER_TIMEOUT_MS }).toEqual({ every: 5_000, timeout: 1_000 })
    expect(retryTiersOf(s)).toEqual(DEFAULT_RETRY_TIERS)
  })

  test('told otherwise: a worker elsewhere, the tiers the workers run with; a URL without its scheme or a sample too often is refused', () => {
    const s = settings({ COMM_WORKER_URL: 'http://comm-worker:3104', RETRY_TIERS: '200,400', OPS_SAMPLE_MS: '250' })
    expect(workerUrlsOf(s).comm).toBe('http://comm-worker:3104')
    expect(retryTiersOf(s)).toEqual([200, 400])
    expect(s.OPS_SAMPLE_MS).toBe(250)
    expect(() => settings({ EVAL_WORKER_URL: 'eval-worker:3105' })).toThrow(ConfigError)
    expect(() => settings({ OPS_SAMPLE_MS: '10' })).toThrow(ConfigError)
    expect(() => settings({ RETRY_TIERS: '1s,5s' })).toThrow(ConfigError)
  })
})
