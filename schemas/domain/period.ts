import { unprocessable } from '../../core/index.ts'

/** A period (an offer's, a stage's) that ends before it starts is refused at the field given, `/end_date` by default (422). */
export function assertPeriod(start: string, end: string, path = '/end_date'): void {
  if (end < start) throw unprocessable('the period ends before it starts', [{ path, message: `must not be before the start date (${start})` }])
}
