import { describe, expect, test } from 'bun:test'
import { createLogger, TransientError } from './index.ts'

describe('logger', () => {
  test('writes one JSON object per line with service, level, time and the bound correlation id', () => {
    const lines: string[] = []
    const log = createLogger({ service: 'comm-worker', level: 'info', sink: (l) => lines.push(l), now: () => new Date('2026-11-26T10:00:00.000Z') })
    log.debug('hidden')
    log.child({ correlation_id: 'req-1' }).warn('retrying', { attempt: 2, error: new TransientError('DB_DOWN', 'db down') })
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: '2026-11-26T10:00:00.000Z', level: 'warn', service: 'comm-worker', msg: 'retrying', correlation_id: 'req-1', attempt: 2, error: { name: 'TransientError', message: 'db down', code: 'DB_DOWN' } },
    ])
  })
})
