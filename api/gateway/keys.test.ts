import { describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { allows, bearerKey, generateKey, hashKey, keyPrefix, looksLikeKey, parsePatterns, patternMatches } from './keys.ts'

describe('keys', () => {
  test('a new key is mtk_ and 32 random bytes in base64url, different every time, and has the shape the gateway checks', () => {
    const a = generateKey()
    const b = generateKey()
    expect(a).toMatch(/^mtk_[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(a.slice(4), 'base64url')).toHaveLength(32)
    expect(a).not.toBe(b)
    expect(looksLikeKey(a)).toBe(true)
    expect(looksLikeKey(`${a}x`)).toBe(false)
    expect(looksLikeKey('abc')).toBe(false)
  })

  test('the stored form is the SHA-256 hex of the key; the prefix shows only its start', () => {
    const key = generateKey()
    expect(hashKey(key)).toBe(createHash('sha256').update(key).digest('hex'))
    expect(hashKey(key)).toMatch(/^[0-9a-f]{64}$/)
    expect(keyPrefix(key)).toBe(key.slice(0, 12))
  })

  test('the key of an Authorization header is read from the Bearer scheme only', () => {
    expect(bearerKey('Bearer mtk_abc')).toBe('mtk_abc')
    expect(bearerKey('bearer   mtk_abc ')).toBe('mtk_abc')
    expect(bearerKey('Basic dXNlcjpwYXNz')).toBeUndefined()
    expect(bearerKey('Bearer')).toBeUndefined()
    expect(bearerKey(null)).toBeUndefined()
  })

  test.each([
    ['student.*', 'student.created', true],
    ['student.*', 'student.updated', true],
    ['student.*', 'stage.created', false],
    ['student.*', 'student', false],
    ['grade.assigned', 'grade.assigned', true],
    ['grade.assigned', 'grade.revoked', false],
    ['*', 'stage.tracking_initialized', true],
    ['#', 'user.created', true],
    ['stage.#', 'stage.started', true],
    ['stage.#', 'stage', true],
    ['#.created', 'offer.created', true],
    ['#.created', 'offer.updated', false],
    ['*.created', 'student.created', true],
    ['*.created', 'a.b.created', false],
  ])('%p matches %p: %p', (pattern, type, expected) => {
    expect(patternMatches(pattern, type)).toBe(expected)
  })

  test('a key may publish a type when any of its patterns matches it', () => {
    expect(allows(['student.*', 'grade.assigned'], 'grade.assigned')).toBe(true)
    expect(allows(['student.*', 'grade.assigned'], 'stage.created')).toBe(false)
    expect(allows([], 'stage.created')).toBe(false)
  })

  test('a pattern list is split on commas, trimmed and deduplicated; malformed patterns are named', () => {
    expect(parsePatterns(' student.* ,grade.assigned,student.*,')).toEqual({ patterns: ['student.*', 'grade.assigned'], problems: [] })
    expect(parsePatterns('*')).toEqual({ patterns: ['*'], problems: [] })
    const bad = parsePatterns('student.*,Student Created,a..b')
    expect(bad.problems).toHaveLength(2)
    expect(bad.problems[0]).toContain("'Student Created'")
    expect(bad.problems[1]).toContain("'a..b'")
    expect(parsePatterns(' , ').problems).toEqual(['at least one event pattern is needed, e.g. student.*'])
  })
})
