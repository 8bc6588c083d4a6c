import { describe, expect, test } from 'bun:test'
import { Type } from '@sinclair/typebox'
import { ConfigError, parseConfig } from './index.ts'

const Settings = Type.Object({
  DATABASE_URL: Type.String({ minLength: 1 }),
  COMMAND_WAIT_MS: Type.Integer({ minimum: 0, default: 3000 }),
  VERBOSE: Type.Boolean({ default: false }),
  LOG_LEVEL: Type.Union([Type.Literal('debug'), Type.Literal('info')], { default: 'info' }),
})

describe('parseConfig', () => {
  test('applies defaults and converts numbers and booleans from strings', () => {
    expect(parseConfig(Settings, { DATABASE_URL: 'postgres://x', VERBOSE: 'true', UNRELATED: 'y' })).toEqual({
      DATABASE_URL: 'postgres://x',
      COMMAND_WAIT_MS: 3000,
      VERBOSE: true,
      LOG_LEVEL: 'info',
    })
    expect(parseConfig(Settings, { DATABASE_URL: 'postgres://x', COMMAND_WAIT_MS: '50' }).COMMAND_WAIT_MS).toBe(50)
  })

  test('reports every problem at once, naming each setting, without echoing values', () => {
    try {
      parseConfig(Settings, { COMMAND_WAIT_MS: 'soon', LOG_LEVEL: 'loud' })
      throw new Error('accepted an invalid configuration')
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const paths = (err as ConfigError).problems.map((p) => p.path)
      expect(paths).toEqual(expect.arrayContaining(['/DATABASE_URL', '/COMMAND_WAIT_MS', '/LOG_LEVEL']))
      expect((err as ConfigError).message).toContain('DATABASE_URL: is required')
      expect((err as ConfigError).message).not.toContain('soon')
    }
  })
})
