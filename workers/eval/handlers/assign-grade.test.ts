import { expect, test } from 'bun:test'
import { quarterMean } from './assign-grade.ts'

test('the mean of scores, to the nearest 0.25, a half-step rounding up', () => {
  expect(quarterMean([16.25, 14])).toBe(15.25)
  expect(quarterMean([10, 10.25])).toBe(10.25)
  expect(quarterMean([13, 13.25, 13.25])).toBe(13.25)
  expect(quarterMean([13, 13, 13.25])).toBe(13)
  expect(quarterMean([0.25, 0, 0])).toBe(0)
  expect(quarterMean([20, 20, 19.75])).toBe(20)
  expect(quarterMean([12.5])).toBe(12.5)
})
